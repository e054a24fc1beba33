import { buildCache } from '../../dataset/cache.js';
import { scanDataset } from '../../dataset/scan.js';
import { datasetDir } from '../../paths.js';
import type { Command } from '../command.js';
import { stringOption } from '../command.js';

export const datasetStats: Command = {
  name: 'dataset stats',
  summary: 'Counts files and 2-bar windows of the Groove MIDI Dataset per split',
  usage: `groovebox dataset stats [--json] [--data DIR]
  --json        print one JSON object instead of a table
  --data DIR    dataset folder (default: $GROOVEBOX_DATA or ../shared/datasets/groove)`,
  options: { json: { type: 'boolean' }, data: { type: 'string' } },
  async run({ values }) {
    const { stats } = scanDataset(datasetDir(stringOption(values, 'data')), {
      warn: (m) => process.stderr.write(m + '\n'),
    });
    if (values.json) {
      process.stdout.write(JSON.stringify(stats) + '\n');
      return;
    }
    const rows = (['train', 'validation', 'test'] as const).map(
      (s) =>
        `${s.padEnd(11)} ${String(stats.files[s]).padStart(5)} ${String(stats.windowsAllSignatures[s]).padStart(9)} ${String(stats.windows[s]).padStart(9)} ${String(stats.emptyWindows[s]).padStart(7)} ${String(stats.emptyPatterns[s]).padStart(9)}`,
    );
    process.stdout.write(
      `Groove MIDI Dataset at ${stats.dir}\n` +
        `split       files  all-sigs  4/4 wins   empty  no-hits\n${rows.join('\n')}\n` +
        `files: ${stats.files.total} (${stats.files.fourFour} in 4/4, ${stats.files.skipped} skipped)\n` +
        `beat vs fill: ${Object.entries(stats.beatType)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}\n` +
        `styles: ${Object.entries(stats.styles)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}\n` +
        `scanned in ${stats.seconds.toFixed(2)} s\n`,
    );
  },
};

export const datasetBuild: Command = {
  name: 'dataset build',
  summary: 'Builds the binary window cache that training and evaluation load',
  usage: `groovebox dataset build [--data DIR]
  --data DIR    dataset folder (default: $GROOVEBOX_DATA or ../shared/datasets/groove)`,
  options: { data: { type: 'string' } },
  async run({ values }) {
    buildCache(datasetDir(stringOption(values, 'data')), (m) => process.stdout.write(m + '\n'));
  },
};
