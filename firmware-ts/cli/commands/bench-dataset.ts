import { benchDataset, formatDatasetBench } from '../../dataset/bench.js';
import { datasetDir } from '../../paths.js';
import type { Command } from '../command.js';
import { stringOption, integerOption } from '../command.js';

export const benchDatasetCommand: Command = {
  name: 'bench dataset',
  summary: 'Times parsing + windowing the whole dataset (target <= 15 s) and loading the cache (<= 1 s)',
  usage: `groovebox bench dataset [--json] [--runs N] [--data DIR]
  --json        print one JSON object instead of text
  --runs N      runs per figure, the median is reported (default 3)
  --data DIR    dataset folder (default: $GROOVEBOX_DATA or ../shared/datasets/groove)
The cache is built in a temporary folder, so a training run's cache is never touched.`,
  options: { json: { type: 'boolean' }, runs: { type: 'string' }, data: { type: 'string' } },
  async run({ values }) {
    const result = benchDataset(datasetDir(stringOption(values, 'data')), {
      runs: integerOption(values, 'runs', 3, 1, 100),
    });
    process.stdout.write((values.json ? JSON.stringify(result) : formatDatasetBench(result)) + '\n');
  },
};
