import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { initBackend, tf } from '../firmware-ts/ml/runtime.js';
import { drawSteps } from '../firmware-ts/model/draw-notes.js';
import { UnderTapTensors } from '../firmware-ts/model/under-tap-tensors.js';
import { GrooveModel } from '../firmware-ts/model/generator.js';
import { mulberry32 } from '../firmware-ts/model/random.js';
import { STEP_OUTPUT_WIDTH } from '../firmware-ts/model/step-decoder.js';
import {
  decodeUnderTap,
  encodeUnderTap,
  jsUnderTapPredictor,
  UNDER_TAP_FEATURES,
  UNDER_TAP_MANIFEST_FILE,
  UNDER_TAP_OUTPUTS,
  UNDER_TAP_WEIGHTS_FILE,
  underTapFeatures,
  underTapShapes,
  type UnderTapFit,
  type UnderTapNet,
} from '../firmware-ts/model/under-tap.js';
import { DRUM_COUNT } from '../firmware-ts/pattern/drums.js';
import type { Gestures } from '../firmware-ts/pattern/gesture-layout.js';
import { drumScores, groove } from '../firmware-ts/pattern/gestures.js';
import { Pattern, STEPS, STEPS_PER_BAR } from '../firmware-ts/pattern/pattern.js';
import { tensorDataToPattern } from '../firmware-ts/pattern/tensor-layout.js';
import { fitUnderTap, notesOfSharedSteps, scoreUnderTap, windowLoop } from '../firmware-ts/train/under-tap-fit.js';
import { tempDir, writeTinyModel } from './helpers/tiny-models.js';

const KICK = 0;
const SNARE = 1;
const HAT = 2;
const OPEN_HAT = 3;
// The input's layout, as model/under-tap.ts documents it.
const PER_STEP = 3 + DRUM_COUNT;
const DRUM_AT = STEPS * PER_STEP;
const PLACE_AT = DRUM_AT + DRUM_COUNT;

/** A network with random weights of `hidden` units (a fitted one is no different to the arithmetic). */
function randomNet(hidden: [number, number], seed: number): UnderTapNet {
  const rand = mulberry32(seed);
  const net = { hidden } as UnderTapNet;
  for (const [key, n] of underTapShapes(hidden))
    (net[key] as Float32Array) = Float32Array.from({ length: n }, () => rand() - 0.5);
  return net;
}

/**
 * A network written by hand: the hat carries every tap (its carrying score 5, every other drum's 0), and every other
 * note plays `offset` and `velocity` from the tap. One first-layer unit per drum, set by the note's drum.
 */
function handNet(offset: number, velocity: number): UnderTapNet {
  const net = randomNet([DRUM_COUNT, DRUM_COUNT], 1);
  for (const key of ['w1', 'b1', 'w2', 'b2', 'w3', 'b3'] as const) net[key].fill(0);
  for (let d = 0; d < DRUM_COUNT; d++) {
    net.w1[(DRUM_AT + d) * DRUM_COUNT + d] = 1;
    net.w2[d * DRUM_COUNT + d] = 1;
  }
  net.w3[HAT * UNDER_TAP_OUTPUTS + 2] = 5;
  net.b3.set([offset, velocity, 0]);
  return net;
}

/** Kick and hat on every beat, the hat louder and on time, the kick `lean` from it; a snare alone on 2 and 4. */
function leaningBeat(lean: number, hatOffset: number): Pattern {
  const p = new Pattern();
  for (let s = 0; s < STEPS; s += 4) {
    p.set(s, HAT, 0.8, hatOffset);
    p.set(s, KICK, 0.5, hatOffset + lean);
  }
  for (let s = 2; s < STEPS; s += 8) p.set(s, SNARE, 0.7, 0.05);
  return p;
}

const fit: UnderTapFit = {
  windows: 3,
  notes: 40,
  epoch: 2,
  validationOffsetError: 0.2,
  validationVelocityError: 14,
  validationCarrierAccuracy: 0.7,
};

describe('model: the notes under a tap (the under-tap network)', function () {
  this.timeout(60_000);
  before(async () => {
    await initBackend();
  });

  it('reads the loop from the note\u2019s step: each step\u2019s tap and hits, then the note\u2019s drum and place in the bar', () => {
    const p = leaningBeat(-0.2, 0.1);
    const x = underTapFeatures(windowLoop(p), 4, KICK, new Float32Array(UNDER_TAP_FEATURES).fill(9));
    expect(x.length).to.equal(UNDER_TAP_FEATURES);
    // The note's own step first: tapped at the hat's velocity and offset, kick and hat hit.
    expect(Array.from(x.subarray(0, PER_STEP))).to.deep.equal(
      Array.from(Float32Array.from([1, 0.8, 0.1, 1, 0, 1, 0, 0, 0, 0, 0, 0])),
    );
    // The snare alone six steps later (step 10); the step before the note's is empty, the beat before it tapped.
    expect(Array.from(x.subarray(6 * PER_STEP, 7 * PER_STEP))).to.deep.equal(
      Array.from(Float32Array.from([1, 0.7, 0.05, 0, 1, 0, 0, 0, 0, 0, 0, 0])),
    );
    expect(x[(STEPS - 1) * PER_STEP]).to.equal(0);
    expect(x[(STEPS - 4) * PER_STEP]).to.equal(1);
    expect(Array.from(x.subarray(DRUM_AT, PLACE_AT))).to.deep.equal([1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(x.subarray(PLACE_AT).indexOf(1)).to.equal(4);
    expect(x.subarray(PLACE_AT).reduce((a, b) => a + b)).to.equal(1);
    // A loop one step later is the same input.
    const later = new Pattern();
    for (const [s, d, v, o] of p.toJSON().notes) later.set((s + 1) % STEPS, d, v, o);
    const shifted = underTapFeatures(windowLoop(later), 5, KICK, new Float32Array(UNDER_TAP_FEATURES));
    expect(Array.from(shifted.subarray(0, DRUM_AT))).to.deep.equal(Array.from(x.subarray(0, DRUM_AT)));
    expect(shifted.subarray(PLACE_AT).indexOf(1)).to.equal(5 % STEPS_PER_BAR);
  });

  it('the plain-JS predictor (reading only the inputs that are set) and the backend\u2019s agree with the dense network', () => {
    const net = randomNet([12, 7], 3);
    const loop = windowLoop(leaningBeat(-0.2, 0.1));
    const notes = [
      [0, KICK],
      [4, HAT],
      [10, SNARE],
    ];
    const x = new Float32Array(notes.length * UNDER_TAP_FEATURES);
    notes.forEach(([step, drum], i) =>
      underTapFeatures(loop, step, drum, x.subarray(i * UNDER_TAP_FEATURES, (i + 1) * UNDER_TAP_FEATURES)),
    );
    const dense = tf.tidy(() => {
      const a1 = tf.relu(
        tf
          .tensor2d(x, [notes.length, UNDER_TAP_FEATURES])
          .matMul(tf.tensor2d(net.w1, [UNDER_TAP_FEATURES, 12]))
          .add(net.b1),
      );
      const a2 = tf.relu(a1.matMul(tf.tensor2d(net.w2, [12, 7])).add(net.b2));
      return Array.from(
        a2
          .matMul(tf.tensor2d(net.w3, [7, UNDER_TAP_OUTPUTS]))
          .add(net.b3)
          .dataSync(),
      );
    });
    const beforeWeights = tf.memory().numTensors;
    const tensors = new UnderTapTensors(net);
    const before = tf.memory().numTensors;
    const viaBackend = Array.from(tensors.predict(x, notes.length));
    expect(tf.memory().numTensors, 'no tensor left behind by a prediction').to.equal(before);
    tensors.dispose();
    expect(tf.memory().numTensors, 'the weights freed with it').to.equal(beforeWeights);
    const viaJs = Array.from(jsUnderTapPredictor(net)(x, notes.length));
    expect(viaJs.length).to.equal(notes.length * UNDER_TAP_OUTPUTS);
    dense.forEach((v, i) => {
      expect(viaJs[i], `plain JS, output ${i}`).to.be.closeTo(v, 1e-4);
      expect(viaBackend[i], `backend, output ${i}`).to.be.closeTo(v, 1e-4);
    });
  });

  it('its two files read back as written; a wrong size, a bad weight or a bad key is one line naming the file', () => {
    const net = randomNet([5, 4], 2);
    const files = encodeUnderTap(net, fit);
    const text = new TextDecoder().decode(files[UNDER_TAP_MANIFEST_FILE]);
    const back = decodeUnderTap(text, '/m/u.json', files[UNDER_TAP_WEIGHTS_FILE], '/m/u.bin');
    expect(back.fit).to.deep.equal(fit);
    expect(back.net).to.deep.equal(net);
    const short = files[UNDER_TAP_WEIGHTS_FILE].subarray(4);
    expect(() => decodeUnderTap(text, '/m/u.json', short, '/m/u.bin')).to.throw(
      new RegExp(
        `^/m/u\\.bin: expected ${4 * underTapShapes([5, 4]).reduce((a, [, n]) => a + n, 0)} bytes .*-5-4-3 network.*got ${short.byteLength}$`,
      ),
    );
    const nan = new Uint8Array(files[UNDER_TAP_WEIGHTS_FILE]);
    new Float32Array(nan.buffer)[7] = NaN;
    expect(() => decodeUnderTap(text, '/m/u.json', nan, '/m/u.bin')).to.throw(
      '/m/u.bin: expected finite weights, got NaN at float 7',
    );
    const manifest = JSON.parse(text);
    manifest.hidden = [5, 0];
    expect(() =>
      decodeUnderTap(JSON.stringify(manifest), '/m/u.json', files[UNDER_TAP_WEIGHTS_FILE], '/m/u.bin'),
    ).to.throw('/m/u.json: hidden[1] = 0: expected a whole number 1..4096');
    manifest.hidden = [5, 4];
    manifest.features = 10;
    expect(() =>
      decodeUnderTap(JSON.stringify(manifest), '/m/u.json', files[UNDER_TAP_WEIGHTS_FILE], '/m/u.bin'),
    ).to.throw(`/m/u.json: features = 10: expected ${UNDER_TAP_FEATURES} (the input this code builds)`);
  });

  it('drawing a loop with a tapped groove: the network picks the note that carries each tap and places the others', () => {
    const beat = leaningBeat(-0.2, 0.1);
    const request: Gestures = { drums: drumScores(beat), groove: groove(beat) };
    const rand = mulberry32(3);
    const raw = Float32Array.from({ length: STEPS * STEP_OUTPUT_WIDTH }, () => rand() * 0.6 - 0.3);
    const draw = (options: object, net: UnderTapNet | null, r: Gestures = request) =>
      tensorDataToPattern(
        drawSteps(raw, [r], { keepGiven: true, ...options }, mulberry32(1), {
          underTap: net ? jsUnderTapPredictor(net) : null,
        }),
        0,
      );
    const net = handNet(-0.3, -0.25);
    const placed = draw({}, net);
    for (let s = 0; s < STEPS; s += 4) {
      expect(placed.offset(s, HAT), `hat at ${s}`).to.be.closeTo(0.1, 1e-6);
      expect(placed.velocity(s, HAT)).to.be.closeTo(0.8, 1e-6);
      expect(placed.offset(s, KICK), `kick at ${s}`).to.be.closeTo(-0.2, 1e-6);
      expect(placed.velocity(s, KICK)).to.be.closeTo(0.55, 1e-6);
    }
    // A step with one note: that note carries its tap, whatever its score.
    expect(placed.offset(2, SNARE)).to.be.closeTo(0.05, 1e-6);
    // The network wants the kick louder than the tap: it stays under it, the hat still carries the tap.
    const loud = draw({}, handNet(-0.3, 0.2));
    expect(loud.velocity(0, HAT)).to.be.closeTo(0.8, 1e-6);
    expect(loud.velocity(0, KICK)).to.be.closeTo(0.8 - 1 / 127, 1e-6);
    // Turned off, or no network: the decoder's own values under the tap (not the network's).
    const off = draw({ underTap: false }, net);
    expect(off.toJSON().notes).to.deep.equal(draw({}, null).toJSON().notes);
    expect(off.offset(0, KICK)).to.not.be.closeTo(-0.2, 1e-3);
    // No groove tapped: nothing to place.
    const scoreOnly = { drums: drumScores(beat) };
    expect(draw({}, net, scoreOnly).toJSON().notes).to.deep.equal(draw({}, null, scoreOnly).toJSON().notes);
    // Values drawn with a spread keep it around the network's value.
    const spread = draw({ valueTemperature: 1 }, net);
    const kicks = Array.from({ length: STEPS / 4 }, (_, k) => spread.offset(4 * k, KICK));
    expect(new Set(kicks.map((o) => o.toFixed(4))).size).to.be.greaterThan(1);
    expect(kicks.reduce((a, b) => a + b) / kicks.length).to.be.closeTo(-0.2, 0.15);
    const kickVelocities = Array.from({ length: STEPS / 4 }, (_, k) => spread.velocity(4 * k, KICK));
    expect(new Set(kickVelocities.map((v) => v.toFixed(4))).size).to.be.greaterThan(1);
    expect(kickVelocities.every((v) => v < 0.8)).to.equal(true);
  });

  it('an accent given with the groove does not take the tap from the note the network chose', () => {
    // The hat carries every tap (softly on step 0); loud kicks alone on the "and"s set the kick's accent line high, so
    // the accent fit raises the kick under the hat on the accented step 0 past the hat.
    const beat = new Pattern();
    for (let s = 0; s < STEPS; s += 4) beat.set(s, HAT, s === 0 ? 0.6 : 1, 0.1).set(s, KICK, 0.5, -0.1);
    for (let s = 2; s < STEPS; s += 8) beat.set(s, KICK, 1, 0);
    const accentOnOne = Float32Array.from({ length: STEPS }, (_, s) => (s === 0 ? 1 : 0));
    const rand = mulberry32(3);
    const raw = Float32Array.from({ length: STEPS * STEP_OUTPUT_WIDTH }, () => rand() * 0.6 - 0.3);
    for (let s = 2; s < STEPS; s += 8) raw[s * STEP_OUTPUT_WIDTH + DRUM_COUNT + KICK] = 0.1;
    const play = (accent: Float32Array | null) =>
      tensorDataToPattern(
        drawSteps(
          raw,
          [{ drums: drumScores(beat), groove: groove(beat), ...(accent ? { accent } : {}) }],
          { keepGiven: true },
          mulberry32(1),
          { underTap: jsUnderTapPredictor(handNet(-0.3, -0.25)) },
        ),
        0,
      );
    for (const accent of [null, accentOnOne]) {
      const played = play(accent);
      const what = accent ? 'accented' : 'no accent';
      expect(played.offset(0, HAT), what).to.be.closeTo(0.1, 1e-6);
      expect(played.velocity(0, HAT), what).to.be.closeTo(0.6, 1e-6);
      expect(played.offset(0, KICK), what).to.be.closeTo(-0.2, 1e-6);
      expect(played.velocity(0, KICK), what).to.be.below(0.6);
    }
  });

  it('scores a predictor on the shared steps: departures of the notes under the tap, carriers picked, the loss', () => {
    const loops = [leaningBeat(-0.2, 0.1), leaningBeat(-0.2, -0.3)].map(windowLoop);
    const notes = notesOfSharedSteps(loops);
    expect(notes.length).to.equal(2 * 2 * (STEPS / 4));
    // Every kick is 0.2 early and 0.3 softer than the tap; this predictor says 0.1 early and 0.2 softer.
    const predictor = (carrier: number) => (x: Float32Array, n: number) => {
      const out = new Float32Array(n * UNDER_TAP_OUTPUTS);
      for (let i = 0; i < n; i++) {
        const drum = x.subarray(i * UNDER_TAP_FEATURES + DRUM_AT, i * UNDER_TAP_FEATURES + PLACE_AT).indexOf(1);
        out.set([-0.1, -0.2, drum === carrier ? 1 : 0], i * UNDER_TAP_OUTPUTS);
      }
      return out;
    };
    const right = scoreUnderTap(predictor(HAT), notes, loops);
    expect(right.offsets).to.be.closeTo(0.1, 1e-6);
    expect(right.velocities).to.be.closeTo(0.1 * 127, 1e-3);
    expect(right.carrierAccuracy).to.equal(1);
    // Per note under the tap 0.1 + 0.1; the cross-entropy of logit 1 for the carrier and 0 for the kick, averaged, x 0.5.
    const crossEntropy = (Math.log1p(Math.exp(-1)) + Math.log(2)) / 2;
    expect(right.loss).to.be.closeTo(0.2 + 0.5 * crossEntropy, 1e-6);
    expect(scoreUnderTap(predictor(KICK), notes, loops).carrierAccuracy).to.equal(0);
  });

  it('fitting learns which drum carries the tap from the loop around it, and how far and how soft the others play', async () => {
    // Two kinds of window: hat over kick (the kick 0.2 early, 0.3 softer), and, where an open hat plays on step 2,
    // kick over hat (the hat 0.1 late, 0.5 softer). Only the loop around a step says which.
    const windows = [-0.3, -0.1, 0, 0.1, 0.3].flatMap((tap) => {
      const hatOver = leaningBeat(-0.2, tap);
      const kickOver = new Pattern();
      for (let s = 0; s < STEPS; s += 4) {
        kickOver.set(s, KICK, 0.9, tap);
        kickOver.set(s, HAT, 0.4, tap + 0.1);
      }
      kickOver.set(2, OPEN_HAT, 0.6, 0);
      return [hatOver, kickOver];
    });
    const options = { hidden: [32, 16] as [number, number], epochs: 60, batchSize: 16, learningRate: 1e-2, seed: 4 };
    const tensorsBefore = tf.memory().numTensors;
    const { net, fit: fitted } = await fitUnderTap(windows, windows, options);
    expect(tf.memory().numTensors, 'no tensor left behind by a fit').to.equal(tensorsBefore);
    const predict = jsUnderTapPredictor(net);
    const at = (p: Pattern, step: number, drum: number) => {
      const [offset, velocity, carries] = predict(
        underTapFeatures(windowLoop(p), step, drum, new Float32Array(UNDER_TAP_FEATURES)),
        1,
      );
      return { offset, velocity, carries };
    };
    const [hatOver, kickOver] = windows;
    const kickUnder = at(hatOver, 8, KICK);
    expect(kickUnder.offset).to.be.closeTo(-0.2, 0.05);
    expect(kickUnder.velocity).to.be.closeTo(-0.3, 0.05);
    expect(at(hatOver, 8, HAT).carries).to.be.greaterThan(kickUnder.carries);
    const hatUnder = at(kickOver, 8, HAT);
    expect(hatUnder.offset).to.be.closeTo(0.1, 0.05);
    expect(hatUnder.velocity).to.be.closeTo(-0.5, 0.05);
    expect(at(kickOver, 8, KICK).carries).to.be.greaterThan(hatUnder.carries);
    expect(fitted.validationCarrierAccuracy).to.equal(1);
    expect(fitted.validationOffsetError).to.be.below(0.05);
    expect(fitted.notes).to.equal(10 * 2 * (STEPS / 4));
    const again = await fitUnderTap(windows, windows, options);
    expect(Array.from(again.net.w1)).to.deep.equal(Array.from(net.w1));
    expect(again.fit).to.deep.equal(fitted);
  });

  it('a model folder plays its network; half of its two files, or a bad one, is a clear error', () => {
    const tmp = tempDir('under-tap');
    try {
      const dir = writeTinyModel(tmp.dir, 'ag11s', { steps: 0 });
      const beat = leaningBeat(-0.2, 0.1);
      const request: Gestures = { drums: drumScores(beat), groove: groove(beat) };
      const play = () => {
        const model = GrooveModel.load(dir);
        try {
          return model.generate(request, { seed: 2, keepGiven: true }).pattern;
        } finally {
          model.dispose();
        }
      };
      const plain = play();
      const files = encodeUnderTap(handNet(-0.3, -0.25), fit);
      fs.writeFileSync(path.join(dir, UNDER_TAP_WEIGHTS_FILE), files[UNDER_TAP_WEIGHTS_FILE]);
      expect(() => GrooveModel.load(dir)).to.throw(
        `${path.join(dir, UNDER_TAP_MANIFEST_FILE)}: missing: ${UNDER_TAP_WEIGHTS_FILE} is there and needs it`,
      );
      fs.writeFileSync(path.join(dir, UNDER_TAP_MANIFEST_FILE), files[UNDER_TAP_MANIFEST_FILE]);
      const tensorsBefore = tf.memory().numTensors;
      const placed = play();
      expect(tf.memory().numTensors, 'the model and its network freed with it').to.equal(tensorsBefore);
      expect(placed.offset(0, KICK)).to.be.closeTo(-0.2, 1e-6);
      expect(placed.offset(0, HAT)).to.be.closeTo(0.1, 1e-6);
      expect(plain.offset(0, KICK)).to.not.be.closeTo(-0.2, 1e-3);
      fs.writeFileSync(path.join(dir, UNDER_TAP_WEIGHTS_FILE), files[UNDER_TAP_WEIGHTS_FILE].subarray(8));
      expect(() => GrooveModel.load(dir)).to.throw(
        new RegExp(`^${path.join(dir, UNDER_TAP_WEIGHTS_FILE)}: expected \\d+ bytes`),
      );
      // What `groovebox fit-under-tap` loads to refit a bad network.
      GrooveModel.load(dir, { underTap: false }).dispose();
    } finally {
      tmp.remove();
    }
  });
});
