/**
 * The dataset benchmark as a plain script (the same as `groovebox bench dataset`):
 *   npx tsc -p . && node dist/scripts/bench-dataset.js [--json] [--runs N] [--data DIR]
 */
import { parseArgs } from 'node:util';
import { benchDataset, formatDatasetBench } from '../firmware-ts/dataset/bench.js';
import { datasetDir } from '../firmware-ts/paths.js';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, runs: { type: 'string' }, data: { type: 'string' } } });
const runs = values.runs === undefined ? 3 : Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`bench-dataset: --runs: expected a whole number >= 1, got "${values.runs}"\n`);
  process.exit(2);
}
const result = benchDataset(datasetDir(values.data), { runs });
process.stdout.write((values.json ? JSON.stringify(result) : formatDatasetBench(result)) + '\n');
