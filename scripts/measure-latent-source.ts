/**
 * Is a paper model's Table 1 diversity held back by where its hidden latents come from, or by
 * how much its decoder makes of them? Humanizes test windows (the Score given) with the other
 * factors drawn two ways, with the same seeds: from the prior, as Table 1 does, and from a bank
 * of real training windows' posterior means (model/latent-bank.ts), the aggregate posterior
 * itself. If the bank is far more varied, prior draws land where no real window's latent is
 * (the "holes" a VAE's prior leaves); if both are alike, the decoder makes little of the latent
 * wherever it comes from. The seeds are this script's own, so the prior's figure is close to Table 1's, not
 * equal to it.
 *
 *   node dist/scripts/measure-latent-source.js --model-dir models/ag2 [--windows 300] [--seed 7] [--dataset DIR]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadCache } from '../firmware-ts/dataset/cache.js';
import { HUMANIZE_RUNS } from '../firmware-ts/eval/experiments/context.js';
import { meanCI95, windowDiversity } from '../firmware-ts/eval/metrics.js';
import { evalWindows, generateAll, mixSeed, tagSeed } from '../firmware-ts/eval/windows.js';
import { initBackend } from '../firmware-ts/ml/runtime.js';
import { GrooveModel, type Gestures } from '../firmware-ts/model/generator.js';
import { LATENT_BANK_ROWS } from '../firmware-ts/train/latent-bank-fit.js';
import { spreadPatterns } from '../firmware-ts/train/spread-patterns.js';
import { accent, drumScores, groove, score } from '../firmware-ts/pattern/gestures.js';
import { datasetDir } from '../firmware-ts/paths.js';

const { values } = parseArgs({
  options: {
    'model-dir': { type: 'string' },
    windows: { type: 'string' },
    seed: { type: 'string' },
    dataset: { type: 'string' },
  },
});
const fail = (msg: string): never => {
  console.error(msg);
  process.exit(2);
};
const wholeNumber = (name: string, fallback: number): number => {
  const raw = values[name as 'windows' | 'seed'];
  const n = raw === undefined ? fallback : Number(raw);
  if (!(Number.isInteger(n) && n >= 1)) fail(`--${name}: expected a whole number >= 1, got "${raw}"`);
  return n;
};
const modelDir = values['model-dir'] ?? fail('--model-dir: expected the folder of a trained model, e.g. models/ag2');
const windows = wholeNumber('windows', 300);
const seed = wholeNumber('seed', 7);

await initBackend('wasm');
const model = GrooveModel.load(path.resolve(modelDir));
if (model.config.decoder.kind === 'steps')
  fail(`${modelDir}: ${model.name} already draws from its own bank; this compares the paper models' prior`);
if (model.config.factors.every((f) => f.input === 'score' || f.input.startsWith('drum')))
  fail(`${modelDir}: ${model.name} leaves no factor to the model when humanizing; nothing is drawn`);
const cache = loadCache(datasetDir(values.dataset));
const test = evalWindows(cache, 'test', windows);
const usesScore = model.config.factors.some((f) => f.input === 'score');
const humanizeRequests: Gestures[] = test.map((w) =>
  usesScore ? { score: w.score } : { drums: drumScores(w.pattern) },
);

/** Table 1's measure on these windows, the Score's posterior mean given. */
function diversity(): { mean: number; ci95: [number, number] } {
  const runs = Array.from({ length: HUMANIZE_RUNS }, (_, run) =>
    generateAll(model, humanizeRequests, mixSeed(seed, tagSeed('latent-source'), run), 100, { posterior: 'mean' }).map(
      (g) => g.pattern,
    ),
  );
  const perWindow = test
    .map((w, k) =>
      windowDiversity(
        w.score,
        runs.map((r) => r[k].hits),
        runs.map((r) => r[k].offsets),
      ),
    )
    .filter((d) => !Number.isNaN(d));
  const { mean, ci95 } = meanCI95(perWindow);
  return { mean, ci95 };
}

const prior = diversity();
const train = cache.splits.train;
const bankRequests = spreadPatterns(train.data, train.count, LATENT_BANK_ROWS).map((p) =>
  usesScore ? { score: score(p), groove: groove(p) } : { drums: drumScores(p), groove: groove(p), accent: accent(p) },
);
model.useLatentBank({ rows: bankRequests.length, means: model.posteriorMeans(bankRequests) });
const bank = diversity();
console.log(
  JSON.stringify({ model: modelDir, windows: test.length, seed, tableOneDiversity: { prior, bank } }, null, 2),
);
model.dispose();
