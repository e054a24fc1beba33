import path from 'node:path';
import { NON_NEURAL, runEvaluation, type NonNeuralName } from '../../eval/evaluate.js';
import fs from 'node:fs';
import { resultsFromJson, writeReport } from '../../eval/report.js';
import { initBackend } from '../../ml/runtime.js';
import { MODEL_NAMES } from '../../model/config.js';
import type { GenerateOptions } from '../../model/generator.js';
import { MODELS_DIR, PROJECT_ROOT, datasetDir } from '../../paths.js';
import { UsageError, stringOption, type Command, integerOption, backendOption, isModelFolderName } from '../command.js';

/** The generation options an ablation may change, and the kind of value each takes. */
const GENERATE_OPTION_KINDS = {
  temperature: 'number',
  hits: ['threshold', 'sample'],
  hitTemperature: 'number',
  valueTemperature: 'number',
  followGroove: 'boolean',
  followAccent: 'boolean',
  latentCandidates: 'number',
  calibrateVelocities: 'boolean',
  underTap: 'boolean',
} as const;

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary:
    "Reproduces the paper's Table 1, Table 2 and Figure 3 with our models, and measures them against non-neural players (docs/results.md, docs/evaluation.md)",
  usage: `groovebox evaluate [options]
  --models LIST       comma-separated model folder names under --models-dir (default: ${MODEL_NAMES.join(',')})
  --players LIST      non-neural players to add, from ${NON_NEURAL.join(',')}, or none (default: all four)
  --limit N           use N test windows (spread evenly over the split) instead of all
  --seed S            seed of every sampled latent and hit (default 1); same seed, same numbers
  --out DIR           where results.json, results.md and the figures go (default docs/)
  --models-dir DIR    folder with one trained model per name (default models/); missing ones are skipped
  --data DIR          dataset folder (default: $GROOVEBOX_DATA or ../shared/datasets/groove)
  --batch N           windows generated per batch (default 128)
  --backend B         tensorflow|wasm|cpu (default: best available; or $GROOVEBOX_BACKEND)
  --from FILE         evaluate nothing: re-render results.md and the figures in --out from a results.json
  --generate JSON     generation options for every model, for ablations (e.g. '{"latentCandidates":0}'):
                      ${Object.keys(GENERATE_OPTION_KINDS).join(', ')}`,
  options: {
    models: { type: 'string' },
    players: { type: 'string' },
    limit: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    'models-dir': { type: 'string' },
    data: { type: 'string' },
    batch: { type: 'string' },
    backend: { type: 'string' },
    from: { type: 'string' },
    generate: { type: 'string' },
  },
  async run({ values }) {
    // Every option is checked before the (slow) backend start, so a typo fails at once.
    const models = parseModels(stringOption(values, 'models'));
    const nonNeural = parsePlayers(stringOption(values, 'players'));
    const outDir = path.resolve(stringOption(values, 'out') ?? path.join(PROJECT_ROOT, 'docs'));
    const limit = values.limit === undefined ? undefined : integerOption(values, 'limit', 0, 1);
    const seed = integerOption(values, 'seed', 1, 0, 2 ** 32 - 1);
    const batchSize = integerOption(values, 'batch', 128, 1, 4096);
    const generateOptions = parseGenerateOptions(stringOption(values, 'generate'));
    const log = (m: string) => process.stdout.write(`${new Date().toISOString()} ${m}\n`);
    const from = stringOption(values, 'from');
    if (from !== undefined) {
      const file = path.resolve(from);
      if (!fs.existsSync(file))
        throw new UsageError(`--from: ${file} does not exist (expected a results.json written by groovebox evaluate)`);
      const results = resultsFromJson(fs.readFileSync(file, 'utf8'), file);
      // Re-rendering writes results.json again too: read it fully before anything is written.
      for (const written of writeReport(
        results,
        outDir,
        results.meta.command ?? `groovebox evaluate (re-rendered from ${from})`,
      ))
        log(`groovebox:eval wrote ${written}`);
      return;
    }
    await initBackend(backendOption(values), log);
    const results = await runEvaluation({
      models,
      modelsDir: path.resolve(stringOption(values, 'models-dir') ?? MODELS_DIR),
      dataDir: datasetDir(stringOption(values, 'data')),
      nonNeural,
      limit,
      seed,
      batchSize,
      log,
      generateOptions,
    });
    if (!Object.values(results.players).some((p) => p.kind === 'model')) {
      throw new UsageError(
        `evaluate: no model could be evaluated (${Object.entries(results.meta.skipped)
          .map(([n, why]) => `${n}: ${why}`)
          .join('; ')})`,
      );
    }
    const command = [
      'groovebox evaluate',
      ...Object.entries(values)
        .filter(([k, v]) => k !== 'help' && v !== undefined)
        .map(([k, v]) => `--${k} ${v}`),
    ].join(' ');
    for (const file of writeReport(results, outDir, command)) log(`groovebox:eval wrote ${file}`);
    log(`groovebox:eval done in ${results.meta.seconds} s (CPU ${results.meta.cpuSeconds} s)`);
  },
};

function parseModels(raw: string | undefined): string[] {
  if (raw === undefined) return [...MODEL_NAMES];
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.find((n) => !isModelFolderName(n));
  if (bad !== undefined || names.length === 0)
    throw new UsageError(
      `--models: expected a comma-separated list of model folder names (e.g. ${MODEL_NAMES.join(',')}), got "${raw}"`,
    );
  return [...new Set(names)];
}

function parsePlayers(raw: string | undefined): NonNeuralName[] {
  if (raw === undefined) return [...NON_NEURAL];
  if (raw.trim() === 'none') return [];
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.find((n) => !(NON_NEURAL as readonly string[]).includes(n));
  if (bad !== undefined || names.length === 0)
    throw new UsageError(
      `--players: expected a comma-separated list of ${NON_NEURAL.join(', ')}, or none, got "${raw}"`,
    );
  return [...new Set(names)] as NonNeuralName[];
}

function parseGenerateOptions(raw: string | undefined): Partial<GenerateOptions> {
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new UsageError(`--generate: expected a JSON object such as '{"latentCandidates":0}', got ${raw}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`--generate: expected a JSON object, got ${raw}`);
  for (const [key, value] of Object.entries(parsed)) {
    const kind = GENERATE_OPTION_KINDS[key as keyof typeof GENERATE_OPTION_KINDS];
    if (kind === undefined)
      throw new UsageError(
        `--generate: unknown key "${key}" (expected ${Object.keys(GENERATE_OPTION_KINDS).join(', ')})`,
      );
    const fits = Array.isArray(kind)
      ? kind.includes(value)
      : typeof value === kind && (kind !== 'number' || (Number.isFinite(value) && value >= 0));
    if (!fits)
      throw new UsageError(
        `--generate: ${key} ${JSON.stringify(value)}: expected ${Array.isArray(kind) ? kind.join(' or ') : kind === 'number' ? 'a number >= 0' : kind}`,
      );
  }
  return parsed as Partial<GenerateOptions>;
}
