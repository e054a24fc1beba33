import path from 'node:path';
import { expect } from 'chai';
import { writeModelFiles } from '../firmware-ts/ml/model-io.js';
import { initBackend, tf } from '../firmware-ts/ml/runtime.js';
import { GrooveModel, type Gestures } from '../firmware-ts/model/generator.js';
import { initParams } from '../firmware-ts/model/params.js';
import { CONDITION_WIDTH, STEP_INPUT_WIDTH, writeStepInput } from '../firmware-ts/model/step-decoder.js';
import { groove } from '../firmware-ts/pattern/gestures.js';
import { STEPS } from '../firmware-ts/pattern/pattern.js';
import { Adam } from '../firmware-ts/train/adam.js';
import { batchGradients, GradientHelper, hiddenFactors, trainStepOnTwoThreads } from '../firmware-ts/train/trainer.js';
import { MODEL_CONFIGS } from '../firmware-ts/model/config.js';
import { mulberry32 } from '../firmware-ts/model/random.js';
import { handfulOfPatterns, splitOf, tempDir, tinyConfig, trainTiny } from './helpers/tiny-models.js';

describe('model: the step decoder (ag11s)', function () {
  this.timeout(60_000);
  before(async () => {
    await initBackend();
  });

  it('lays out each step: given drums and their mask, the groove and its flag, the accent and its flag, the position', () => {
    const kick = new Float32Array(STEPS);
    kick[0] = 1;
    kick[8] = 1;
    const g = { hits: new Float32Array(STEPS), velocities: new Float32Array(STEPS), offsets: new Float32Array(STEPS) };
    g.hits[8] = 1;
    g.velocities[8] = 0.7;
    g.offsets[8] = -0.25;
    const out = new Float32Array(STEPS * STEP_INPUT_WIDTH);
    writeStepInput({ drums: [kick, null, null, null, null, null, null, null, null], groove: g, accent: null }, out, 0);
    const at = (step: number, k: number) => out[step * STEP_INPUT_WIDTH + k];
    expect([at(0, 0), at(1, 0), at(8, 0)]).to.deep.equal([1, 0, 1]);
    expect([at(5, 9), at(5, 10)], 'kick given, snare not').to.deep.equal([1, 0]);
    expect([at(8, 18), at(8, 19), at(8, 20), at(8, 21)].map((v) => Number(v.toFixed(3)))).to.deep.equal([
      1, 0.7, -0.25, 1,
    ]);
    expect([at(7, 18), at(7, 21)], 'a groove step without a hit, groove given').to.deep.equal([0, 1]);
    expect([at(3, 22), at(3, 23)], 'no accent given').to.deep.equal([0, 0]);
    // Step 21: third sixteenth of beat 2 (counting from 0) in bar 2.
    const position = Array.from({ length: 10 }, (_, k) => at(21, CONDITION_WIDTH + k));
    expect(position).to.deep.equal([0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });

  it('training hides the drums all together, none of them, or each on its own', () => {
    const config = MODEL_CONFIGS.ag11s;
    const rand = mulberry32(3);
    const kinds = new Set<string>();
    for (let k = 0; k < 400; k++) {
      const hidden = hiddenFactors(config, rand).slice(0, 9);
      const n = hidden.filter(Boolean).length;
      kinds.add(n === 9 ? 'all' : n === 0 ? 'none' : 'some');
    }
    expect([...kinds].sort()).to.deep.equal(['all', 'none', 'some']);
  });

  it('25 steps on eight patterns lower the loss by more than a third', () => {
    const { params, lossBefore, lossAfter } = trainTiny('ag11s', 25, { size: { decoderUnits: 16 } });
    tf.dispose([...params.values()]);
    expect(lossAfter).to.be.lessThan(lossBefore * 0.67);
  });

  describe('generation', () => {
    let model: GrooveModel;
    let tmp: ReturnType<typeof tempDir>;
    const beat = handfulOfPatterns()[1];
    const kickRow = Float32Array.from({ length: STEPS }, (_, s) => (beat.hit(s, 0) ? 1 : 0));

    before(() => {
      tmp = tempDir('steps');
      const { config, params } = trainTiny('ag11s', 20);
      writeModelFiles(path.join(tmp.dir, 'ag11s'), config, params);
      model = GrooveModel.fromParams(config, params);
    });
    after(() => {
      model?.dispose();
      tmp?.remove();
    });

    const requests: [string, Gestures][] = [
      ['nothing given', {}],
      ['groove only', { groove: groove(beat) }],
      ['kick and groove', { drums: [kickRow, null, null, null, null, null, null, null, null], groove: groove(beat) }],
    ];

    it('is deterministic for a seed, and loads back from its folder with identical output', () => {
      const loaded = GrooveModel.load(path.join(tmp.dir, 'ag11s'));
      try {
        for (const [name, gestures] of requests) {
          const a = model.generate(gestures, { seed: 5 });
          const b = loaded.generate(gestures, { seed: 5 });
          expect(Array.from(b.pattern.hits), name).to.deep.equal(Array.from(a.pattern.hits));
          expect(Array.from(b.pattern.offsets), name).to.deep.equal(Array.from(a.pattern.offsets));
        }
      } finally {
        loaded.dispose();
      }
    });

    it('leaves no tensor behind', () => {
      model.generate({}, { seed: 0 });
      const before = tf.memory().numTensors;
      for (let k = 0; k < 50; k++) for (const [, g] of requests) model.generate(g, { seed: k });
      expect(tf.memory().numTensors).to.equal(before);
    });

    it('follows a given groove: a hit on every tapped step and none elsewhere, the given kick kept exactly', () => {
      const tapped = groove(beat);
      for (let seed = 0; seed < 5; seed++) {
        const { pattern } = model.generate(requests[2][1], { seed, keepGiven: true });
        for (let s = 0; s < STEPS; s++) {
          const any = Array.from({ length: 9 }, (_, d) => pattern.hit(s, d)).some(Boolean);
          expect(any, `step ${s}`).to.equal(tapped.hits[s] > 0.5 || kickRow[s] > 0.5);
          expect(pattern.hit(s, 0), `kick at ${s}`).to.equal(kickRow[s] > 0.5);
        }
      }
    });

    it('valueTemperature 0 plays the likeliest velocity and offset: two seeds agree when every gesture is given', () => {
      const all: Gestures = {
        score: new Float32Array(beat.hits),
        groove: groove(beat),
        accent: new Float32Array(STEPS),
      };
      const a = model.generate(all, { seed: 1, valueTemperature: 0 });
      const b = model.generate(all, { seed: 2, valueTemperature: 0 });
      expect(Array.from(b.pattern.velocities)).to.deep.equal(Array.from(a.pattern.velocities));
      // A given groove fixes each step's loudest note; without one, every note's values are drawn.
      const free: Gestures = { score: all.score, accent: all.accent };
      const c = model.generate(free, { seed: 2, valueTemperature: 0, keepGiven: true });
      const d = model.generate(free, { seed: 3, valueTemperature: 1, keepGiven: true });
      expect(Array.from(d.pattern.offsets)).not.to.deep.equal(Array.from(c.pattern.offsets));
    });

    it('by default a given groove is followed at the likeliest values, and without one the model draws them', () => {
      const withGroove: Gestures = { score: new Float32Array(beat.hits), groove: groove(beat) };
      const a = model.generate(withGroove, { seed: 1 });
      const b = model.generate(withGroove, { seed: 2 });
      expect(Array.from(b.pattern.offsets)).to.deep.equal(Array.from(a.pattern.offsets));
      const scoreOnly: Gestures = { score: new Float32Array(beat.hits) };
      const c = model.generate(scoreOnly, { seed: 1, keepGiven: true });
      const d = model.generate(scoreOnly, { seed: 2, keepGiven: true });
      expect(Array.from(d.pattern.offsets)).not.to.deep.equal(Array.from(c.pattern.offsets));
    });
  });

  it('a step on two threads applies the mean of the two halves\u2019 gradients, as one thread computing both would', async () => {
    const config = tinyConfig('ag11s');
    const set = splitOf(handfulOfPatterns());
    const indices = Uint32Array.from({ length: set.count }, (_, k) => k);
    const twoThreads = initParams(config, 4);
    const oneThread = initParams(config, 4);
    const helper = await GradientHelper.start(config, tf.getBackend(), set);
    const tensorsAfterEachStep: number[] = [];
    try {
      await trainStepOnTwoThreads(twoThreads, new Adam(twoThreads), config, set, indices, 10, 1e-2, helper);
      // More steps on a scratch copy: the worker must hold as many tensors after each as after the first.
      const scratch = initParams(config, 4);
      const scratchAdam = new Adam(scratch);
      for (let k = 0; k < 3; k++) {
        await trainStepOnTwoThreads(scratch, scratchAdam, config, set, indices, 20 + k, 1e-2, helper);
        tensorsAfterEachStep.push(helper.workerTensors);
      }
      scratchAdam.dispose();
      tf.dispose([...scratch.values()]);
    } finally {
      await helper.stop();
    }
    expect(
      new Set(tensorsAfterEachStep).size,
      `the worker's tensors after each step: ${tensorsAfterEachStep}`,
    ).to.equal(1);
    const a = batchGradients(oneThread, config, set, indices.subarray(0, 4), 10);
    const b = batchGradients(oneThread, config, set, indices.subarray(4), 11);
    const mean: Record<string, tf.Tensor> = {};
    for (const name of oneThread.keys()) mean[name] = tf.mul(tf.add(a.grads[name], b.grads[name]), 0.5);
    new Adam(oneThread).apply(oneThread, mean, 1e-2, config.train.clipNorm);
    for (const [name, p] of twoThreads) {
      const diff = tf.max(tf.abs(tf.sub(p, oneThread.get(name)!))).dataSync()[0];
      expect(diff, name).to.be.lessThan(1e-5);
    }
    tf.dispose([
      ...twoThreads.values(),
      ...oneThread.values(),
      ...Object.values(mean),
      ...Object.values(a.grads),
      ...Object.values(b.grads),
    ]);
  });
});
