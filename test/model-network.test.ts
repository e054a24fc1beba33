import { expect } from 'chai';
import { initBackend, tf } from '../firmware-ts/ml/runtime.js';
import { MODEL_CONFIGS, MODEL_NAMES, latentSize, type ModelConfig } from '../firmware-ts/model/config.js';

/** The paper's models, with the autoregressive decoder (the step decoder has its own tests: model-step-decoder.test.ts). */
const LSTM_MODELS = MODEL_NAMES.filter((name) => MODEL_CONFIGS[name].decoder.kind !== 'steps');
import {
  computeLoss,
  decodeAuxiliary,
  decodeTeacherForced,
  encodeFactor,
  factorInput,
  freeBitsCost,
  klDivergence,
  type GestureTensors,
  type LossParts,
  type LstmInputMasks,
} from '../firmware-ts/model/network.js';
import {
  auxOutputWidth,
  disposeParams,
  initParams,
  paramCount,
  paramSpecs,
  type Params,
} from '../firmware-ts/model/params.js';
import { GrooveModel } from '../firmware-ts/model/generator.js';
import { gaussian, mulberry32 } from '../firmware-ts/model/random.js';
import { groove } from '../firmware-ts/pattern/gestures.js';
import { STEPS } from '../firmware-ts/pattern/pattern.js';
import { FEATURES, PATTERN_TENSOR_SIZE, patternToTensorData } from '../firmware-ts/pattern/tensor-layout.js';
import { batchGradients } from '../firmware-ts/train/trainer.js';
import { disposeLstmInputMasks, lstmInputMasks } from '../firmware-ts/train/batch.js';
import { handfulOfPatterns, splitOf, tinyConfig, type SplitLike } from './helpers/tiny-models.js';

const values = (t: tf.Tensor) => Array.from(t.dataSync());

/** A split's gestures as the encoders take them, one row per window. */
const gestureTensorsOf = (set: SplitLike): GestureTensors => ({
  score: tf.tensor3d(set.gestures.score, [set.count, STEPS, 9]),
  groove: tf.tensor3d(set.gestures.groove, [set.count, STEPS, 3]),
  accent: tf.tensor2d(set.gestures.accent, [set.count, STEPS]),
});

/** The training objective's parts on every window of `set`, the latents at their means (zero noise), as numbers. */
function teacherForcedLoss(
  params: Params,
  config: ModelConfig,
  set: SplitLike,
  masks: LstmInputMasks | null = null,
): Record<keyof LossParts, number> {
  const n = set.count;
  return tf.tidy(() => {
    const target = tf.tensor3d(set.patterns, [n, STEPS, FEATURES]);
    const noise = config.factors.map((f) => tf.zeros([n, f.latent]) as tf.Tensor2D);
    const parts = computeLoss(params, config, target, gestureTensorsOf(set), noise, noise, null, null, null, masks);
    return Object.fromEntries(Object.entries(parts).map(([k, t]) => [k, t.dataSync()[0]])) as Record<
      keyof LossParts,
      number
    >;
  });
}

describe('model: KL divergence and free bits (hand-computed)', () => {
  before(async () => {
    await initBackend();
  });

  it('KL of N(0, 1) against the prior is 0', () => {
    const kl = tf.tidy(() => values(klDivergence({ mu: tf.zeros([2, 5]), sigma: tf.ones([2, 5]) })));
    expect(kl).to.have.length(2);
    for (const v of kl) expect(v).to.be.closeTo(0, 1e-6);
  });

  it('KL of mu = (1, 2), sigma = (0.5, 2) is 3.625 nats (the log terms cancel)', () => {
    // 0.5 * [(1 + 0.25 - 1 - 2 ln 0.5) + (4 + 4 - 1 - 2 ln 2)] = 0.5 * (0.25 + 7) = 3.625
    const kl = tf.tidy(() =>
      values(
        klDivergence({
          mu: tf.tensor2d([
            [1, 2],
            [0, 0],
          ]),
          sigma: tf.tensor2d([
            [0.5, 2],
            [1, 1],
          ]),
        }),
      ),
    );
    expect(kl[0]).to.be.closeTo(3.625, 1e-5);
    expect(kl[1]).to.be.closeTo(0, 1e-6);
  });

  it('KL of a single dimension mu = 0, sigma = e is (e^2 - 3) / 2', () => {
    const kl = tf.tidy(() => values(klDivergence({ mu: tf.tensor2d([[0]]), sigma: tf.tensor2d([[Math.E]]) })));
    expect(kl[0]).to.be.closeTo((Math.E ** 2 - 3) / 2, 1e-5);
  });

  it('free bits: KL under 48 bits (33.27 nats) costs nothing', () => {
    const cost = tf.tidy(() => freeBitsCost(tf.tensor1d([0, 20, 33.2]), 48, 0.2).dataSync()[0]);
    expect(cost).to.equal(0);
  });

  it('free bits: above 48 bits the cost is beta * (kl - 48 ln 2), averaged over the batch', () => {
    // 48 ln 2 = 33.2710647...; batch [40, 20] -> relu = [6.7289353, 0] -> mean 3.3644677 -> * 0.2 = 0.6728935
    const cost = tf.tidy(() => freeBitsCost(tf.tensor1d([40, 20]), 48, 0.2).dataSync()[0]);
    expect(cost).to.be.closeTo(0.6728935, 1e-5);
    const beta1 = tf.tidy(() => freeBitsCost(tf.tensor1d([50]), 48, 1).dataSync()[0]);
    expect(beta1).to.be.closeTo(50 - 48 * Math.LN2, 1e-5);
  });
});

describe('model: shapes of every model', function () {
  const batch = 3;
  const patterns = handfulOfPatterns().slice(0, batch);
  const set = splitOf(patterns);

  before(async () => {
    await initBackend();
  });

  for (const name of LSTM_MODELS) {
    it(`${name}: weights as specified, latents [B, latent], aux [B, input width], decoder [B, 32, 27], scalar losses`, () => {
      const config = MODEL_CONFIGS[name];
      const params = initParams(config, 1);
      try {
        expect(paramCount(params)).to.equal(
          paramSpecs(config).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0),
        );
        tf.tidy(() => {
          const g = gestureTensorsOf(set);
          const zs: tf.Tensor2D[] = [];
          config.factors.forEach((factor, i) => {
            const post = encodeFactor(params, factor, i, factorInput(factor, g));
            expect(post.mu.shape, `${factor.input} mu`).to.deep.equal([batch, factor.latent]);
            expect(post.sigma.shape, `${factor.input} sigma`).to.deep.equal([batch, factor.latent]);
            expect(Math.min(...values(post.sigma)), 'sigma stays positive').to.be.greaterThan(0);
            if (factor.auxiliary)
              expect(decodeAuxiliary(params, i, post.mu).shape).to.deep.equal([batch, auxOutputWidth(factor)]);
            else expect(params.has(`aux${i}.h.W`), `${factor.input} has no auxiliary decoder`).to.equal(false);
            zs.push(post.mu);
          });
          const z = tf.concat(zs, 1) as tf.Tensor2D;
          expect(z.shape).to.deep.equal([batch, latentSize(config)]);
          const target = tf.tensor3d(set.patterns, [batch, STEPS, FEATURES]);
          expect(decodeTeacherForced(params, config, z, target).shape).to.deep.equal([batch, STEPS, FEATURES]);
          const noise = config.factors.map((f) => tf.zeros([batch, f.latent]) as tf.Tensor2D);
          const parts = computeLoss(params, config, target, g, noise, noise, null);
          for (const [part, t] of Object.entries(parts)) {
            expect(t.shape, part).to.deep.equal([]);
            expect(Number.isFinite(t.dataSync()[0]), part).to.equal(true);
          }
        });
      } finally {
        disposeParams(params);
      }
    });

    it(`${name}: generate gives a 32 x 9 pattern and a reconstruction for exactly the given inputs that have an auxiliary decoder`, () => {
      const config = MODEL_CONFIGS[name];
      const model = GrooveModel.fromParams(config, initParams(config, 2));
      try {
        const p = patterns[0];
        const kick = Float32Array.from({ length: STEPS }, (_, s) => (p.hit(s, 0) ? 1 : 0));
        const drums = [kick, null, null, null, null, null, null, new Float32Array(STEPS), null];
        const out = model.generate({ drums, groove: groove(p) }, { seed: 1 });
        expect(out.pattern.hits).to.have.length(STEPS * 9);
        expect(out.pattern.velocities).to.have.length(STEPS * 9);
        expect(out.pattern.offsets).to.have.length(STEPS * 9);
        const r = out.reconstructions;
        if (name === 'ag11') {
          expect(r.drums).to.have.length(9);
          expect(r.drums![0]).to.have.length(STEPS);
          expect(r.drums![7]).to.have.length(STEPS);
          expect(r.drums![1], 'an unspecified drum has no reconstruction').to.equal(null);
          expect(r.groove!.hits).to.have.length(STEPS);
          expect(r.accent, 'accent not given').to.equal(undefined);
        } else if (name === 'ag2') {
          expect(r.score).to.have.length(STEPS * 9);
          expect(r.groove!.velocities).to.have.length(STEPS);
        } else {
          expect(r, `${name} has no auxiliary decoders`).to.deep.equal({});
        }
      } finally {
        model.dispose();
      }
    });
  }
});

describe('model: the step-by-step generator agrees with the training decoder', () => {
  before(async () => {
    await initBackend();
  });

  // The shipped configs, and ag2 with a two-layer decoder (`train --decoder-layers 2`, the paper's depth).
  const cases: [string, ModelConfig][] = [
    ...LSTM_MODELS.map((name): [string, ModelConfig] => [name, MODEL_CONFIGS[name]]),
    [
      'ag2, two decoder layers',
      { ...MODEL_CONFIGS.ag2, decoder: { ...MODEL_CONFIGS.ag2.decoder, layers: 2, units: 64 } },
    ],
  ];
  for (const [name, config] of cases) {
    it(`${name}: teacher-forcing the generated loop gives back its hits, velocities and offsets`, () => {
      const params = initParams(config, 5);
      // Untrained output weights are small (few hits); scaled up, the loop has hits to check.
      for (const [k, v] of params) if (k.startsWith('dec.out')) v.assign(tf.mul(v, 6));
      const model = GrooveModel.fromParams(config, params);
      try {
        for (const seed of [1, 2, 3]) {
          const { pattern } = model.generate({}, { seed });
          expect(pattern.hitCount(), 'the check needs hits').to.be.greaterThan(10);
          // Nothing given: every latent is the prior sample the generator draws first, in factor order.
          const rand = mulberry32(seed);
          const z = Float32Array.from(config.factors.flatMap((f) => Array.from(gaussian(f.latent, rand))));
          const target = patternToTensorData(pattern);
          const raw = tf.tidy(() =>
            values(
              decodeTeacherForced(
                params,
                config,
                tf.tensor2d(z, [1, z.length]),
                tf.tensor3d(target, [1, STEPS, FEATURES]),
              ),
            ),
          );
          expect(raw).to.have.length(PATTERN_TENSOR_SIZE);
          for (let s = 0; s < STEPS; s++) {
            for (let d = 0; d < 9; d++) {
              const logit = raw[s * FEATURES + d];
              if (Math.abs(logit) > 1e-4) expect(logit > 0, `step ${s} drum ${d} hit`).to.equal(pattern.hit(s, d));
              if (!pattern.hit(s, d)) continue;
              expect(pattern.velocity(s, d), `step ${s} drum ${d} velocity`).to.be.closeTo(
                1 / (1 + Math.exp(-raw[s * FEATURES + 9 + d])),
                1e-4,
              );
              expect(pattern.offset(s, d), `step ${s} drum ${d} offset`).to.be.closeTo(
                Math.tanh(raw[s * FEATURES + 18 + d]),
                1e-4,
              );
            }
          }
        }
      } finally {
        model.dispose();
      }
    });
  }

  it('a batch of 3 with the same score: same score reconstruction in every row, different prior-sampled loops', () => {
    const config = MODEL_CONFIGS.ag2;
    const params = initParams(config, 6);
    for (const [k, v] of params) if (k.startsWith('dec.out')) v.assign(tf.mul(v, 6));
    const model = GrooveModel.fromParams(config, params);
    try {
      const score = splitOf(handfulOfPatterns()).gestures.score.subarray(0, STEPS * 9);
      const batch = model.generateBatch([{ score }, { score }, { score }], { seed: 4 });
      // Each row has its own prior sample for the groove, so the loops differ; the given
      // score's reconstruction comes from the posterior mean and is the same in every row.
      const a = batch[0].reconstructions.score!,
        b = batch[1].reconstructions.score!;
      expect(b).to.have.length(STEPS * 9);
      for (let i = 0; i < a.length; i++) expect(b[i]).to.be.closeTo(a[i], 1e-6);
      expect(Array.from(batch[2].pattern.hits)).to.not.deep.equal(Array.from(batch[0].pattern.hits));
    } finally {
      model.dispose();
    }
  });
});

describe('model: decoder input dropout (training the paper models to lean on their latents)', () => {
  const patterns = handfulOfPatterns().slice(0, 4);
  const set = splitOf(patterns);
  const indices = [0, 1, 2, 3];
  /** One training batch's loss parts (its gradients freed). */
  const lossParts = (params: Params, config: ModelConfig, seed: number) => {
    const { grads, parts } = batchGradients(params, config, set, indices, seed);
    tf.dispose(Object.values(grads));
    return parts;
  };

  before(async () => {
    await initBackend();
  });

  it('a step not shown its previous output decodes exactly as if the previous step had been silent', () => {
    const config = tinyConfig('ag2');
    const params = initParams(config, 4);
    try {
      const [masked, silenced] = tf.tidy(() => {
        const z = tf.randomNormal([1, latentSize(config)], 0, 1, 'float32', 7) as tf.Tensor2D;
        const target = set.patterns.slice(0, PATTERN_TENSOR_SIZE);
        const mask = new Float32Array(STEPS).fill(1);
        mask[5] = 0;
        const withMask = decodeTeacherForced(
          params,
          config,
          z,
          tf.tensor3d(target, [1, STEPS, FEATURES]),
          tf.tensor3d(mask, [1, STEPS, 1]),
        );
        const step4Silent = target.slice();
        step4Silent.fill(0, 4 * FEATURES, 5 * FEATURES);
        const withSilence = decodeTeacherForced(params, config, z, tf.tensor3d(step4Silent, [1, STEPS, FEATURES]));
        return [values(withMask), values(withSilence)];
      });
      for (let i = 0; i < masked.length; i++) expect(masked[i], `value ${i}`).to.be.closeTo(silenced[i], 1e-5);
      // Step 5 reads a silent step 4 either way; unmasked, it reads the real one (the pattern has hits there).
      const unmasked = tf.tidy(() =>
        values(
          decodeTeacherForced(
            params,
            config,
            tf.randomNormal([1, latentSize(config)], 0, 1, 'float32', 7) as tf.Tensor2D,
            tf.tensor3d(set.patterns.slice(0, PATTERN_TENSOR_SIZE), [1, STEPS, FEATURES]),
          ),
        ),
      );
      const step5 = (a: number[]) => a.slice(5 * FEATURES, 6 * FEATURES);
      expect(step5(unmasked)).to.not.deep.equal(step5(masked));
    } finally {
      disposeParams(params);
    }
  });

  it("issue 3's hiding (--hide-probability): a hidden input's latent is a prior sample with no KL and no auxiliary loss", () => {
    const base = tinyConfig('ag2');
    const params = initParams(base, 8);
    try {
      const parts = (p: number) =>
        lossParts(params, { ...base, factors: base.factors.map((f) => ({ ...f, dropProbability: p })) }, 31);
      const shown = parts(0);
      const mostlyHidden = parts(0.99);
      expect(shown.klBits).to.be.greaterThan(0);
      expect(mostlyHidden.klBits, 'hidden inputs cost no KL').to.be.below(shown.klBits / 4);
      expect(mostlyHidden.aux, 'nor auxiliary loss').to.be.below(shown.aux / 4);
    } finally {
      disposeParams(params);
    }
  });

  it('only a run that asks for it is trained with it: inputDropout 0 leaves the batch as it was, 0.5 changes it', () => {
    const base = tinyConfig('ag2');
    const params = initParams(base, 6);
    try {
      const lossWith = (config: ModelConfig, seed = 21) => lossParts(params, config, seed);
      const plain = lossWith(base);
      expect(lossWith({ ...base, decoder: { ...base.decoder, inputDropout: 0 } })).to.deep.equal(plain);
      const dropped = lossWith({ ...base, decoder: { ...base.decoder, inputDropout: 0.5 } });
      expect(dropped.hits).to.not.equal(plain.hits);
      // The mask is drawn after the latents' noise: the auxiliary decoders (which read only the sampled latents) see
      // the same latents, so their loss does not move.
      expect(dropped.aux).to.be.closeTo(plain.aux, 1e-3);
      expect(Math.abs(lossWith(base, 22).aux - plain.aux), 'another seed moves it').to.be.greaterThan(1e-2);
    } finally {
      disposeParams(params);
    }
  });
});

describe("model: GrooVAE's dropout on every LSTM layer's input (train.lstmInputDropout)", () => {
  const patterns = handfulOfPatterns().slice(0, 4);
  const set = splitOf(patterns);
  const n = patterns.length;
  // ag2's structure with two decoder layers, so every kind of mask is in play.
  const base = tinyConfig('ag2');
  const config: ModelConfig = { ...base, decoder: { ...base.decoder, layers: 2 } };

  before(async () => {
    await initBackend();
  });

  const lossWith = (params: Params, masks: LstmInputMasks | null): number[] => {
    const parts = teacherForcedLoss(params, config, set, masks);
    return [parts.hits, parts.velocities, parts.offsets, parts.aux];
  };

  it('draws one mask per LSTM input, 0 with probability p, else 1 / (1 - p); none at p = 0 or for the step decoder', () => {
    const masks = lstmInputMasks({ ...config, train: { ...config.train, lstmInputDropout: 0.7 } }, n, mulberry32(3))!;
    try {
      const shapes = [
        ...masks.encoders.flatMap((e) => [e!.fw.shape, e!.bw.shape]),
        ...masks.decoder.map((m) => m.shape),
        masks.latent.shape,
      ];
      expect(shapes).to.deep.equal([
        [n, STEPS, 9],
        [n, STEPS, 9],
        [n, STEPS, 3],
        [n, STEPS, 3],
        [n, STEPS, FEATURES],
        [n, STEPS, config.decoder.units],
        [n, STEPS, latentSize(config)],
      ]);
      const all = [...masks.encoders.flatMap((e) => [e!.fw, e!.bw]), ...masks.decoder, masks.latent].flatMap((m) =>
        Array.from(m.dataSync()),
      );
      expect(new Set(all.map((v) => v.toFixed(4)))).to.deep.equal(new Set(['0.0000', (1 / 0.3).toFixed(4)]));
      expect(all.filter((v) => v === 0).length / all.length).to.be.closeTo(0.7, 0.02);
    } finally {
      disposeLstmInputMasks(masks);
    }
    expect(lstmInputMasks(config, n, mulberry32(3))).to.equal(null);
    const steps = tinyConfig('ag11s');
    expect(lstmInputMasks({ ...steps, train: { ...steps.train, lstmInputDropout: 0.7 } }, n, mulberry32(3))).to.equal(
      null,
    );
  });

  it('a training batch draws them after every other draw, only when asked, and frees them', () => {
    const parts = (c: ModelConfig, p: number, seed = 9) => {
      const before = tf.memory().numTensors;
      const params = initParams(c, seed);
      try {
        const { grads, parts } = batchGradients(
          params,
          { ...c, train: { ...c.train, lstmInputDropout: p } },
          set,
          [0, 1, 2, 3],
          5,
        );
        tf.dispose(Object.values(grads));
        return parts;
      } finally {
        disposeParams(params);
        expect(tf.memory().numTensors, 'tensors left behind (weights included)').to.equal(before);
      }
    };
    // A rate so small that every mask element is exactly 1 in float32: the masks are drawn, the batch's other draws
    // (noise, the whole-step feed mask) are untouched, so the loss is what it is without them, to the bit.
    const withFeedDropout: ModelConfig = { ...config, decoder: { ...config.decoder, inputDropout: 0.5 } };
    expect(parts(withFeedDropout, 1e-9)).to.deep.equal(parts(withFeedDropout, 0));
    const dropped = parts(config, 0.7);
    expect(Number.isFinite(dropped.loss)).to.equal(true);
    expect(dropped.hits).to.not.equal(parts(config, 0).hits);
    // ag11 (MLP encoders): only the decoder's inputs are dropped, so the latents, their KL and the auxiliary losses
    // are the same.
    const ag11 = tinyConfig('ag11');
    const [plain11, dropped11] = [parts(ag11, 0, 4), parts(ag11, 0.7, 4)];
    expect([dropped11.klBits, dropped11.aux]).to.deep.equal([plain11.klBits, plain11.aux]);
    expect(dropped11.hits).to.not.equal(plain11.hits);
  });

  it('masks of all ones change nothing; dropping an input changes the loss, dropping it all is an empty input', () => {
    const params = initParams(config, 9);
    const ones = (...shape: [number, number, number]) => tf.ones(shape) as tf.Tensor3D;
    const neutral = (): LstmInputMasks => ({
      encoders: [
        { fw: ones(n, STEPS, 9), bw: ones(n, STEPS, 9) },
        { fw: ones(n, STEPS, 3), bw: ones(n, STEPS, 3) },
      ],
      decoder: [ones(n, STEPS, FEATURES), ones(n, STEPS, config.decoder.units)],
      latent: ones(n, STEPS, latentSize(config)),
    });
    const masks = neutral();
    try {
      const plain = lossWith(params, null);
      lossWith(params, masks).forEach((v, i) => expect(v).to.be.closeTo(plain[i], 1e-4));
      // The latent dropped at one example's last step: only that step's output moves (nothing comes after it).
      const z = tf.randomNormal([n, latentSize(config)], 0, 1, 'float32', 3) as tf.Tensor2D;
      const target = tf.tensor3d(set.patterns, [n, STEPS, FEATURES]);
      const lastStep = tf.tidy(() => {
        const m = new Float32Array(n * STEPS * latentSize(config)).fill(1);
        m.fill(0, (2 * STEPS + STEPS - 1) * latentSize(config), (2 * STEPS + STEPS) * latentSize(config));
        const one = { ...masks, latent: tf.tensor3d(m, [n, STEPS, latentSize(config)]) };
        const moved = tf.abs(
          tf.sub(
            decodeTeacherForced(params, config, z, target, null, one),
            decodeTeacherForced(params, config, z, target),
          ),
        );
        return Array.from(tf.max(moved, 2).dataSync());
      });
      lastStep.forEach((d, i) =>
        i === 2 * STEPS + STEPS - 1
          ? expect(d, 'the dropped step').to.be.above(1e-4)
          : expect(d, `row ${i}`).to.equal(0),
      );
      tf.dispose([z, target]);
      // Both directions' inputs dropped everywhere: the encoder sees an empty groove.
      const zero = tf.zeros([n, STEPS, 3]) as tf.Tensor3D;
      const noGroove = { ...masks, encoders: [masks.encoders[0], { fw: zero, bw: zero }] };
      const emptyGroove = tf.tidy(() => {
        const post = encodeFactor(params, config.factors[1], 1, tf.zeros([n, STEPS, 3]));
        const fromMasked = encodeFactor(
          params,
          config.factors[1],
          1,
          tf.tensor3d(set.gestures.groove, [n, STEPS, 3]),
          noGroove.encoders[1],
        );
        return Math.max(...Array.from(tf.abs(tf.sub(post.mu, fromMasked.mu)).dataSync()));
      });
      expect(emptyGroove).to.be.below(1e-6);
      zero.dispose();
    } finally {
      disposeLstmInputMasks(masks);
      disposeParams(params);
    }
  });
});

describe('model: the timing weight (loss.timingWeight)', () => {
  const set = splitOf(handfulOfPatterns().slice(0, 4));
  // ag2's own config weighs timing 30 times; without the key the weight is GrooVAE's, 1.
  const { timingWeight: ag2Weight, ...grooVaeLoss } = tinyConfig('ag2').loss;
  const config: ModelConfig = { ...tinyConfig('ag2'), loss: grooVaeLoss };

  before(async () => {
    await initBackend();
  });

  const partsWith = (params: Params, c: ModelConfig) => teacherForcedLoss(params, c, set);

  it('multiplies the velocity and offset errors in the total only; the logged parts stay unweighted', () => {
    const params = initParams(config, 11);
    try {
      const plain = partsWith(params, config);
      const weighted = partsWith(params, { ...config, loss: { ...config.loss, timingWeight: 10 } });
      for (const part of ['hits', 'velocities', 'offsets', 'klBits', 'aux'] as const)
        expect(weighted[part], part).to.be.closeTo(plain[part], 1e-4);
      expect(plain.velocities + plain.offsets, 'the timing parts are not zero here').to.be.above(0.1);
      expect(weighted.loss - plain.loss).to.be.closeTo(9 * (plain.velocities + plain.offsets), 1e-2);
      // No key is the weight 1, as before the key existed; ag2's own weight is 30.
      const one = partsWith(params, { ...config, loss: { ...config.loss, timingWeight: 1 } });
      expect(one.loss).to.be.closeTo(plain.loss, 1e-4);
      expect(ag2Weight).to.equal(30);
      const own = partsWith(params, tinyConfig('ag2'));
      expect(own.loss - plain.loss).to.be.closeTo(29 * (plain.velocities + plain.offsets), 1e-2);
    } finally {
      disposeParams(params);
    }
  });
});
