/**
 * How often a drum left to the model (`?` on the box) stays silent after
 * GENERATE, per drum, against how often that drum plays in the data for the
 * same inputs. The inputs are the box's first minute made from the test split:
 * for every test window whose bar 1 has kick and snare, kick and snare of bar 1
 * are given (in both bars with linked bars; bar 2 empty as the box gave them
 * before), the other seven drums are left to the model, and the groove is
 * either the window's own (as if tapped) or not given.
 * Each hit policy of GenerateOptions that the box could use is run on every
 * input with the same seeds.
 *
 *   GROOVEBOX_CACHE=... node dist/scripts/measure-unspecified-drums.js [--model ag11] [--windows 150] [--dataset ../shared/datasets/groove] [--backend wasm]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isBoxModel } from '../firmware-ts/box/config.js';
import { unspecifiedDrumOptions } from '../firmware-ts/box/model-host.js';
import { loadCache } from '../firmware-ts/dataset/cache.js';
import { initBackend } from '../firmware-ts/ml/runtime.js';
import { BOX_DEFAULT_MODEL } from '../firmware-ts/model/config.js';
import { GrooveModel, type GenerateOptions, type Gestures } from '../firmware-ts/model/generator.js';
import { DRUM_COUNT, DRUMS } from '../firmware-ts/pattern/drums.js';
import { groove } from '../firmware-ts/pattern/gestures.js';
import { STEPS, STEPS_PER_BAR } from '../firmware-ts/pattern/pattern.js';
import { FEATURES, tensorDataToPattern } from '../firmware-ts/pattern/tensor-layout.js';
import { MODELS_DIR } from '../firmware-ts/paths.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    windows: { type: 'string' },
    dataset: { type: 'string' },
    backend: { type: 'string' },
  },
});
const wanted = Number(values.windows ?? 150);
if (!(Number.isInteger(wanted) && wanted >= 1))
  fail(`--windows: expected a whole number >= 1, got "${values.windows}"`);
const KICK = DRUMS.indexOf('kick');
const SNARE = DRUMS.indexOf('snare');

const backend = await initBackend(values.backend);
const model = GrooveModel.load(path.join(MODELS_DIR, values.model ?? BOX_DEFAULT_MODEL));
const cache = loadCache(path.resolve(values.dataset ?? '../shared/datasets/groove'));
const test = cache.splits.test;
const hitAt = (w: number, step: number, drum: number): boolean => test.data[(w * STEPS + step) * FEATURES + drum] > 0.5;
const bar1Has = (w: number, drum: number): boolean =>
  Array.from({ length: STEPS_PER_BAR }, (_, s) => s).some((s) => hitAt(w, s, drum));
const eligible = Array.from({ length: test.count }, (_, w) => w).filter((w) => bar1Has(w, KICK) && bar1Has(w, SNARE));
const chosen = Array.from(
  { length: Math.min(wanted, eligible.length) },
  (_, k) => eligible[Math.floor((k * eligible.length) / Math.min(wanted, eligible.length))],
);

const sampled = (hitTemperature: number) => ({
  name: `sampled, hit temperature ${hitTemperature}`,
  options: { temperature: 1, keepGiven: true, hits: 'sample', hitTemperature } as const,
});
const POLICIES: { name: string; options: Omit<GenerateOptions, 'seed'> }[] = [
  { name: 'threshold at one half', options: { temperature: 1, keepGiven: true, hits: 'threshold' } },
  sampled(0.5),
  sampled(0.75),
  sampled(1),
  ...(isBoxModel(model.name)
    ? [
        {
          name: 'the box now (unspecifiedDrumOptions)',
          options: unspecifiedDrumOptions({ temperature: 1, model: model.name }),
        },
      ]
    : []),
];

process.stdout.write(
  `${model.name} on ${backend}: ${chosen.length} test windows with kick and snare in bar 1 (of ${eligible.length}); kick+snare bar 1 given in both bars, 7 drums left to the model\n`,
);
const others = DRUMS.map((_, d) => d).filter((d) => d !== KICK && d !== SNARE);
const INPUTS: { name: string; linked: boolean; grooveGiven: boolean }[] = [
  { name: 'bar 2 given empty (the box before linked bars), no groove', linked: false, grooveGiven: false },
  { name: 'bars linked, no groove', linked: true, grooveGiven: false },
  { name: "bars linked, groove tapped (the window's own)", linked: true, grooveGiven: true },
];
for (const { name, linked, grooveGiven } of INPUTS) {
  const inData = new Array(DRUM_COUNT).fill(0);
  const hitsInData = new Array(DRUM_COUNT).fill(0);
  for (const w of chosen) {
    for (const d of others) {
      const n = Array.from({ length: STEPS }, (_, s) => s).filter((s) => hitAt(w, s, d)).length;
      if (n > 0) {
        inData[d]++;
        hitsInData[d] += n;
      }
    }
  }
  process.stdout.write(`\n${name}: per drum, % of generations where it plays and its mean hits when it does\n`);
  process.stdout.write(
    `  ${'policy'.padEnd(38)}${others.map((d) => DRUMS[d].padStart(14)).join('')}  any ?-drum plays\n`,
  );
  process.stdout.write(
    `  ${'the data (same windows)'.padEnd(38)}${others.map((d) => `${pct(inData[d], chosen.length)} ${inData[d] ? (hitsInData[d] / inData[d]).toFixed(1) : '-'}`.padStart(14)).join('')}\n`,
  );
  for (const policy of POLICIES) {
    const plays = new Array(DRUM_COUNT).fill(0);
    const hits = new Array(DRUM_COUNT).fill(0);
    let anyPlays = 0;
    chosen.forEach((w, k) => {
      const gestures = firstMinute(w, linked, grooveGiven);
      const { pattern } = model.generate(gestures, { ...policy.options, seed: 1000 + k });
      let any = false;
      for (const d of others) {
        let n = 0;
        for (let s = 0; s < STEPS; s++) if (pattern.hit(s, d)) n++;
        if (n > 0) {
          plays[d]++;
          hits[d] += n;
          any = true;
        }
      }
      if (any) anyPlays++;
    });
    const cells = others.map((d) =>
      `${pct(plays[d], chosen.length)} ${plays[d] ? (hits[d] / plays[d]).toFixed(1) : '-'}`.padStart(14),
    );
    process.stdout.write(`  ${policy.name.padEnd(38)}${cells.join('')}  ${pct(anyPlays, chosen.length)}\n`);
  }
}
model.dispose();

/** Kick and snare of the window's bar 1 (in both bars when linked, else bar 2 given empty); the groove of the window when tapped. */
function firstMinute(w: number, linked: boolean, grooveGiven: boolean): Gestures {
  const drums: (Float32Array | null)[] = new Array(DRUM_COUNT).fill(null);
  const bar1 = (d: number, s: number): boolean => (linked || s < STEPS_PER_BAR) && hitAt(w, s % STEPS_PER_BAR, d);
  for (const d of [KICK, SNARE]) drums[d] = Float32Array.from({ length: STEPS }, (_, s) => (bar1(d, s) ? 1 : 0));
  const gestures: Gestures = { drums };
  if (grooveGiven) gestures.groove = groove(tensorDataToPattern(test.data, w * STEPS * FEATURES));
  return gestures;
}

function pct(n: number, of: number): string {
  return `${Math.round((100 * n) / of)}%`;
}

function fail(message: string): never {
  process.stderr.write(`measure-unspecified-drums: ${message}\n`);
  process.exit(2);
}
