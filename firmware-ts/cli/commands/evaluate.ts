import path from 'node:path';
import { runEvaluation } from '../../eval/evaluate.js';
import { writeReport } from '../../eval/report.js';
import { initBackend } from '../../ml/runtime.js';
import { MODEL_NAMES, isModelName, type ModelName } from '../../model/config.js';
import { MODELS_DIR, PROJECT_ROOT, datasetDir } from '../../paths.js';
import { UsageError, stringOption, type Command, integerOption, backendOption } from '../command.js';

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: "Reproduces the paper's Table 1, Table 2 and Figure 3 with our models, plus realism, fidelity and control (docs/results.md)",
  usage: `groovebox evaluate [options]
  --models LIST       comma-separated, from ${MODEL_NAMES.join(',')} (default: all four)
  --limit N           use N test windows (spread evenly over the split) instead of all
  --seed S            seed of every sampled latent and hit (default 1); same seed, same numbers
  --out DIR           where results.json, results.md and the figures go (default docs/)
  --models-dir DIR    folder with one trained model per name (default models/); missing ones are skipped
  --data DIR          dataset folder (default: $GROOVEBOX_DATA or ../shared/datasets/groove)
  --batch N           windows generated per batch (default 128)
  --backend B         tensorflow|wasm|cpu (default: best available; or $GROOVEBOX_BACKEND)`,
  options: {
    models: { type: 'string' }, limit: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' },
    'models-dir': { type: 'string' }, data: { type: 'string' }, batch: { type: 'string' }, backend: { type: 'string' },
  },
  async run({ values }) {
    // Every option is checked before the (slow) backend start, so a typo fails at once.
    const models = parseModels(stringOption(values, 'models'));
    const outDir = path.resolve(stringOption(values, 'out') ?? path.join(PROJECT_ROOT, 'docs'));
    const limit = values.limit === undefined ? undefined : integerOption(values, 'limit', 0, 1);
    const seed = integerOption(values, 'seed', 1, 0, 2 ** 32 - 1);
    const batchSize = integerOption(values, 'batch', 128, 1, 4096);
    const log = (m: string) => process.stdout.write(`${new Date().toISOString()} ${m}\n`);
    await initBackend(backendOption(values), log);
    const results = await runEvaluation({
      models,
      modelsDir: path.resolve(stringOption(values, 'models-dir') ?? MODELS_DIR),
      dataDir: datasetDir(stringOption(values, 'data')),
      limit, seed, batchSize, log,
    });
    if (Object.keys(results.models).length === 0) {
      throw new UsageError(`evaluate: no model could be evaluated (${Object.entries(results.meta.skipped).map(([n, why]) => `${n}: ${why}`).join('; ')})`);
    }
    const command = ['groovebox evaluate', ...Object.entries(values).filter(([k, v]) => k !== 'help' && v !== undefined).map(([k, v]) => `--${k} ${v}`)].join(' ');
    for (const file of writeReport(results, outDir, command)) log(`groovebox:eval wrote ${file}`);
    log(`groovebox:eval done in ${results.meta.seconds} s`);
  },
};

function parseModels(raw: string | undefined): ModelName[] {
  if (raw === undefined) return [...MODEL_NAMES];
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.find((n) => !isModelName(n));
  if (bad !== undefined || names.length === 0) throw new UsageError(`--models: expected a comma-separated list of ${MODEL_NAMES.join(', ')}, got "${raw}"`);
  return [...new Set(names)] as ModelName[];
}
