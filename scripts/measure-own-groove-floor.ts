/**
 * How low can the own-groove offset error go? Issue 20 asks for 0.05 over all notes. A Groove carries each step's
 * loudest note, so those can be played exactly; the question is the other notes (a kick under a hi-hat). This script
 * measures two bounds on the error over those notes, from the data alone, without the box's model:
 *
 *  - from above, the box's under-tap network (model/under-tap.ts, fitted here as `groovebox fit-under-tap` fits it):
 *    it reads the window's whole Score and Groove seen from a note's step and says which note of a step carries the
 *    tap and how far each other note is played from it. Measured on test twice: on the notes that do not carry the
 *    tap, with the real carrier known (the floor's own terms), and over all notes with the carrier it picks (what
 *    the box plays when its model draws the real score). It sees everything the box's model sees when a Groove is
 *    given; the linear model of eval/own-groove-floor.ts is the same idea with hand-made features.
 *  - from below, the drummers' own repeat-to-repeat variation (eval/own-groove-floor.ts, which `groovebox evaluate`
 *    prints too): a player that knew each drummer's habit at each place exactly would still miss what varies between
 *    the two bars of a window.
 *
 * Both are turned into an error over all notes the way results.md's floor is: the other notes' share times the error
 * on them (the loudest notes at 0).
 *
 * It also measures how often a model picks the note the drummer played loudest at a tapped step with two or more
 * notes, playing each test window's own Score and Groove, with and without its under-tap network.
 *
 *   node dist/scripts/measure-own-groove-floor.js [--train N] [--epochs 12] [--units 128,64] [--seed 1]
 *     [--model-dir models/ag11s] [--dataset DIR]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadCache } from '../firmware-ts/dataset/cache.js';
import { repeatVariation } from '../firmware-ts/eval/own-groove-floor.js';
import { evalWindows } from '../firmware-ts/eval/windows.js';
import { initBackend } from '../firmware-ts/ml/runtime.js';
import { inputFromSteps, jsUnderTapPredictor, UNDER_TAP_FEATURES } from '../firmware-ts/model/under-tap.js';
import { DRUM_COUNT } from '../firmware-ts/pattern/drums.js';
import { groove, loudestDrum } from '../firmware-ts/pattern/gestures.js';
import { STEPS } from '../firmware-ts/pattern/pattern.js';
import { BOX_DEFAULT_MODEL } from '../firmware-ts/model/config.js';
import { GrooveModel } from '../firmware-ts/model/generator.js';
import { datasetDir, MODELS_DIR } from '../firmware-ts/paths.js';
import {
  fitUnderTap,
  notesOfSharedSteps,
  scoreUnderTap,
  UNDER_TAP_DEFAULTS,
  windowLoop,
} from '../firmware-ts/train/under-tap-fit.js';

const { values } = parseArgs({
  options: {
    train: { type: 'string' },
    epochs: { type: 'string' },
    units: { type: 'string' },
    seed: { type: 'string' },
    'model-dir': { type: 'string' },
    dataset: { type: 'string' },
  },
});
const fail = (msg: string): never => {
  console.error(msg);
  process.exit(2);
};
const wholeNumber = (name: 'train' | 'epochs' | 'seed', fallback: number): number => {
  const raw = values[name];
  const n = raw === undefined ? fallback : Number(raw);
  if (!(Number.isInteger(n) && n >= 1)) fail(`--${name}: expected a whole number >= 1, got "${raw}"`);
  return n;
};
const trainWindows = wholeNumber('train', Number.MAX_SAFE_INTEGER);
const epochs = wholeNumber('epochs', UNDER_TAP_DEFAULTS.epochs);
const seed = wholeNumber('seed', 1);
const units = (values.units ?? UNDER_TAP_DEFAULTS.hidden.join(',')).split(',').map(Number);
if (units.length !== 2 || !units.every((u) => Number.isInteger(u) && u >= 1))
  fail(`--units: expected two whole numbers >= 1 such as 128,64, got "${values.units}"`);
const MIDI = 127;

await initBackend('wasm');
const cache = loadCache(datasetDir(values.dataset));
const patterns = (split: 'train' | 'validation' | 'test', limit = Infinity) =>
  evalWindows(cache, split, limit).map((w) => w.pattern);
const test = patterns('test');
const testLoops = test.map(windowLoop);
const allHits = test.reduce((a, p) => a + p.hitCount(), 0);
let underNotes = 0,
  templateOffsets = 0,
  templateVelocities = 0;
for (const loop of testLoops) {
  for (let s = 0; s < STEPS; s++)
    for (let d = 0; d < DRUM_COUNT; d++) {
      if (!loop.hit(s, d) || d === loop.carriers[s]) continue;
      underNotes++;
      templateOffsets += Math.abs(loop.pattern.offset(s, d) - loop.groove.offsets[s]);
      templateVelocities += MIDI * Math.abs(loop.pattern.velocity(s, d) - loop.groove.velocities[s]);
    }
}
const share = underNotes / allHits;
console.log(
  `test: ${test.length} windows, ${allHits} notes, ${(100 * share).toFixed(1)} % under a louder note at their step`,
);
console.log(
  `the template on those: ${(templateOffsets / underNotes).toFixed(3)} / ${(templateVelocities / underNotes).toFixed(1)} (offsets / velocities)`,
);

const { net, fit } = await fitUnderTap(patterns('train', trainWindows), patterns('validation'), {
  hidden: [units[0], units[1]],
  epochs,
  seed,
  log: console.log,
});
console.log(`kept epoch ${fit.epoch} (best validation loss)`);
// Scored through the plain-JS predictor, not the fit's tensors.
const predict = jsUnderTapPredictor(net);
const score = scoreUnderTap(predict, notesOfSharedSteps(testLoops), testLoops);
console.log(
  `network ${units.join('-')} on test, the real carrier known: ${score.offsets.toFixed(3)} / ${score.velocities.toFixed(1)} on the notes under it, ` +
    `${(share * score.offsets).toFixed(3)} / ${(share * score.velocities).toFixed(1)} over all notes; carrier picked right at ${(100 * score.carrierAccuracy).toFixed(1)} % of the shared steps`,
);

// Over all notes as the box plays a window's own score and groove: the note picked by the network carries the tap.
let offsetError = 0,
  velocityError = 0;
const input = new Float32Array(UNDER_TAP_FEATURES);
for (const loop of testLoops) {
  for (let s = 0; s < STEPS; s++) {
    const drums = Array.from({ length: DRUM_COUNT }, (_, d) => d).filter((d) => loop.hit(s, d));
    if (drums.length < 2) continue;
    const predicted = drums.map((d) => {
      const [offset, velocity, carries] = predict(inputFromSteps(loop.steps, s, d, input), 1);
      return { d, offset, velocity, carries };
    });
    const carrier = predicted.reduce((a, b) => (b.carries > a.carries ? b : a), predicted[0]);
    for (const p of predicted) {
      const playedOffset = p === carrier ? loop.groove.offsets[s] : loop.groove.offsets[s] + p.offset;
      const playedVelocity = p === carrier ? loop.groove.velocities[s] : loop.groove.velocities[s] + p.velocity;
      offsetError += Math.abs(loop.pattern.offset(s, p.d) - Math.max(-1, Math.min(1, playedOffset)));
      velocityError += MIDI * Math.abs(loop.pattern.velocity(s, p.d) - Math.max(1 / MIDI, Math.min(1, playedVelocity)));
    }
  }
}
console.log(
  `over all notes, the carrier picked by the network: ${(offsetError / allHits).toFixed(3)} / ${(velocityError / allHits).toFixed(1)} ` +
    `(the template: ${(templateOffsets / allHits).toFixed(3)} / ${(templateVelocities / allHits).toFixed(1)})`,
);

const repeats = repeatVariation(test);
console.log(
  `repeats: ${repeats.pairs} pairs; a player knowing each place's habit: ` +
    `${repeats.laplace.toFixed(3)} (Laplace) .. ${repeats.gaussian.toFixed(3)} (Gaussian) on the notes under a tap, ` +
    `${(share * repeats.laplace).toFixed(3)} .. ${(share * repeats.gaussian).toFixed(3)} over all notes`,
);

// The model's own picks: the note that carries each tap is the loop's loudest at that step.
const modelDir = path.resolve(values['model-dir'] ?? path.join(MODELS_DIR, BOX_DEFAULT_MODEL));
const model = GrooveModel.load(modelDir);
const testWindows = evalWindows(cache, 'test');
for (const underTap of [false, true]) {
  let shared = 0,
    right = 0;
  for (let start = 0; start < testWindows.length; start += 128) {
    const batch = testWindows.slice(start, start + 128);
    const played = model.generateBatch(
      batch.map((w) => ({ score: w.score, groove: groove(w.pattern) })),
      { seed: 1 + start, keepGiven: true, underTap },
    );
    batch.forEach((w, k) => {
      for (let s = 0; s < STEPS; s++) {
        let notes = 0;
        for (let d = 0; d < DRUM_COUNT; d++) notes += w.pattern.hit(s, d) ? 1 : 0;
        if (notes < 2) continue;
        shared++;
        if (loudestDrum(played[k].pattern, s) === loudestDrum(w.pattern, s)) right++;
      }
    });
  }
  console.log(
    `${model.name} (${modelDir}), under-tap network ${underTap ? 'on' : 'off'}: the loudest note picked right at ${((100 * right) / shared).toFixed(1)} % of ${shared} shared steps`,
  );
}
model.dispose();
