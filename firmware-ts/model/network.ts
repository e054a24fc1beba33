import { tf } from '../ml/runtime.js';

import { STEPS } from '../pattern/pattern.js';
import { FEATURES } from '../pattern/tensor-layout.js';
import type { FactorConfig, ModelConfig } from './config.js';
import { dense, lstmSequence, sigmoidCrossEntropy } from './layers.js';
import { factorInputWidth, type Params } from './params.js';
import { decodeSteps, stepLoss } from './step-decoder.js';

/**
 * The gestures of a batch as tensors: score [B,32,9] hits, groove [B,32,3]
 * (hit, velocity, offset), accent [B,32]. Computed from the data with the same
 * gesture functions the box uses (pattern/gesture-layout.ts).
 */
export interface GestureTensors {
  score: tf.Tensor3D;
  groove: tf.Tensor3D;
  accent: tf.Tensor2D;
}

/** A factor's input as a sequence [B,32,F] (for a BiLSTM) or flat [B,32F] (for an MLP). */
export function factorInput(factor: FactorConfig, g: GestureTensors): tf.Tensor {
  let seq: tf.Tensor3D;
  if (factor.input === 'score') seq = g.score;
  else if (factor.input === 'groove') seq = g.groove;
  else if (factor.input === 'accent') seq = tf.expandDims(g.accent, 2);
  else {
    const drum = Number(factor.input.slice(4));
    seq = tf.slice(g.score, [0, 0, drum], [-1, -1, 1]);
  }
  if (factor.encoder === 'bilstm') return seq;
  return tf.reshape(seq, [seq.shape[0], factorInputWidth(factor).flat]);
}

export interface Posterior {
  mu: tf.Tensor2D;
  sigma: tf.Tensor2D;
}

/**
 * Training with `train.lstmInputDropout` (GrooVAE's dropout on every LSTM layer's input): one mask per LSTM input,
 * [B, 32, width], each element 0 (dropped) or 1 / (1 - p) (kept, scaled so the expected input is unchanged).
 */
export interface LstmInputMasks {
  /** Per factor: its BiLSTM's two directions' input masks, null for an MLP encoder. */
  encoders: ({ fw: tf.Tensor3D; bw: tf.Tensor3D } | null)[];
  /** Per decoder layer: its input's mask (layer 0: the previous step's output; above: the layer below's states). */
  decoder: tf.Tensor3D[];
  /** The latent as the decoder's first layer reads it at each step, [B, 32, latent]. */
  latent: tf.Tensor3D;
}

/** Encodes one factor's input into the mean and spread of its latent. */
export function encodeFactor(
  params: Params,
  factor: FactorConfig,
  index: number,
  input: tf.Tensor,
  masks: { fw: tf.Tensor3D; bw: tf.Tensor3D } | null = null,
): Posterior {
  const p = `enc${index}`;
  let features: tf.Tensor2D;
  if (factor.encoder === 'bilstm') {
    const x = input as tf.Tensor3D;
    const fw = lstmSequence(params, `${p}.fw`, masks ? (tf.mul(x, masks.fw) as tf.Tensor3D) : x);
    const bw = lstmSequence(
      params,
      `${p}.bw`,
      masks ? (tf.mul(x, masks.bw) as tf.Tensor3D) : x,
      undefined,
      undefined,
      true,
    );
    features = tf.concat([fw[fw.length - 1], bw[0]], 1);
  } else {
    features = tf.relu(dense(params, `${p}.h`, input as tf.Tensor2D));
  }
  const mu = dense(params, `${p}.mu`, features);
  // A floor on sigma keeps log(sigma) finite in the KL term.
  const sigma = tf.add(tf.softplus(dense(params, `${p}.sigma`, features)), 1e-4) as tf.Tensor2D;
  return { mu, sigma };
}

/** KL(N(mu, sigma) || N(0, I)) per example, in nats: [B]. */
export function klDivergence(post: Posterior): tf.Tensor1D {
  const { mu, sigma } = post;
  return tf.mul(
    0.5,
    tf.sum(tf.sub(tf.add(tf.square(mu), tf.square(sigma)), tf.add(1, tf.mul(2, tf.log(sigma)))), 1),
  ) as tf.Tensor1D;
}

/**
 * Free bits (Kingma et al.; Magenta's MusicVAE/GrooVAE): KL under the
 * tolerance costs nothing, above it costs beta per nat. `kl` per example in nats.
 */
export function freeBitsCost(kl: tf.Tensor1D, freeBits: number, beta: number): tf.Scalar {
  const freeNats = freeBits * Math.LN2;
  return tf.mul(beta, tf.mean(tf.relu(tf.sub(kl, freeNats)))) as tf.Scalar;
}

/** Decoder initial state per layer from the latent. */
function decoderInit(
  params: Params,
  config: ModelConfig,
  z: tf.Tensor2D,
  layer: number,
): { h: tf.Tensor2D; c: tf.Tensor2D } {
  const hc = tf.tanh(dense(params, `dec.init${layer}`, z));
  const [h, c] = tf.split(hc, 2, 1) as tf.Tensor2D[];
  return { h, c };
}

/**
 * Teacher-forced decoder: every step reads the latent and the previous step's
 * true output (zeros at step 0). Returns raw outputs [B,32,27]: hit logits,
 * velocity logits, offset pre-activations. `feedMask` [B,32,1] (training with
 * `decoder.inputDropout`) zeroes the steps whose previous output is not shown.
 */
export function decodeTeacherForced(
  params: Params,
  config: ModelConfig,
  z: tf.Tensor2D,
  target: tf.Tensor3D,
  feedMask: tf.Tensor3D | null = null,
  masks: LstmInputMasks | null = null,
): tf.Tensor3D {
  const batch = target.shape[0];
  let previous = tf.concat(
    [tf.zeros([batch, 1, FEATURES]), tf.slice(target, [0, 0, 0], [-1, STEPS - 1, -1])],
    1,
  ) as tf.Tensor3D;
  if (feedMask) previous = tf.mul(previous, feedMask) as tf.Tensor3D;
  let layerInput: tf.Tensor3D = previous;
  for (let l = 0; l < config.decoder.layers; l++) {
    const zProj = l === 0 ? latentProjection(params, z, masks?.latent ?? null) : undefined;
    if (masks) layerInput = tf.mul(layerInput, masks.decoder[l]) as tf.Tensor3D;
    const hs = lstmSequence(params, `dec.l${l}`, layerInput, decoderInit(params, config, z, l), zProj);
    layerInput = tf.stack(hs, 1) as tf.Tensor3D;
  }
  const units = config.decoder.units;
  const flat = dense(params, 'dec.out', tf.reshape(layerInput, [batch * STEPS, units]));
  const out = tf.reshape(flat, [batch, STEPS, FEATURES]) as tf.Tensor3D;
  return config.decoder.skip ? tf.add(out, tf.reshape(dense(params, 'dec.skip', z), [batch, STEPS, FEATURES])) : out;
}

/**
 * The latent's share of the first decoder layer's gates: the same at every step, or with a dropout mask per step
 * ([B, 32, latent]) a different share at each.
 */
function latentProjection(params: Params, z: tf.Tensor2D, mask: tf.Tensor3D | null): tf.Tensor2D | tf.Tensor3D {
  const Wz = params.get('dec.l0.Wz')! as tf.Tensor2D;
  if (!mask) return tf.matMul(z, Wz);
  const [batch, steps, latent] = mask.shape;
  const perStep = tf.reshape(tf.mul(tf.expandDims(z, 1), mask), [batch * steps, latent]) as tf.Tensor2D;
  return tf.reshape(tf.matMul(perStep, Wz), [batch, steps, Wz.shape[1]]) as tf.Tensor3D;
}

/** Splits raw decoder outputs into hit logits, velocities (0..1) and offsets (-1..1). */
export function outputHeads(raw: tf.Tensor3D): {
  hitLogits: tf.Tensor3D;
  velocities: tf.Tensor3D;
  offsets: tf.Tensor3D;
} {
  const [hitLogits, v, o] = tf.split(raw, 3, 2) as tf.Tensor3D[];
  return { hitLogits, velocities: tf.sigmoid(v), offsets: tf.tanh(o) };
}

/**
 * GrooVAE's reconstruction loss per example: sigmoid cross-entropy on hits plus
 * squared error on velocities and offsets, the latter two only where the target
 * has a hit (elsewhere the value is never played, so it should not be learned).
 */
export function reconstructionLoss(
  raw: tf.Tensor3D,
  target: tf.Tensor3D,
): { hits: tf.Tensor1D; velocities: tf.Tensor1D; offsets: tf.Tensor1D } {
  const heads = outputHeads(raw);
  const [tHits, tVel, tOff] = tf.split(target, 3, 2) as tf.Tensor3D[];
  const hits = tf.sum(sigmoidCrossEntropy(tHits, heads.hitLogits), [1, 2]) as tf.Tensor1D;
  const velocities = tf.sum(tf.mul(tHits, tf.square(tf.sub(heads.velocities, tVel))), [1, 2]) as tf.Tensor1D;
  const offsets = tf.sum(tf.mul(tHits, tf.square(tf.sub(heads.offsets, tOff))), [1, 2]) as tf.Tensor1D;
  return { hits, velocities, offsets };
}

/** The auxiliary decoder's raw output for factor i: [B, flat width]. */
export function decodeAuxiliary(params: Params, index: number, z: tf.Tensor2D): tf.Tensor2D {
  return dense(params, `aux${index}.out`, tf.relu(dense(params, `aux${index}.h`, z)));
}

/** Per-example loss of an auxiliary reconstruction: cross-entropy on hits, masked squared error on a groove's velocity/offset. */
export function auxiliaryLoss(factor: FactorConfig, raw: tf.Tensor2D, input: tf.Tensor): tf.Tensor1D {
  const batch = raw.shape[0];
  const target = tf.reshape(input, [batch, -1]);
  if (factor.input !== 'groove') return tf.sum(sigmoidCrossEntropy(target, raw), 1) as tf.Tensor1D;
  const r = tf.reshape(raw, [batch, STEPS, 3]);
  const t = tf.reshape(target, [batch, STEPS, 3]);
  const [rHit, rVel, rOff] = tf.split(r, 3, 2);
  const [tHit, tVel, tOff] = tf.split(t, 3, 2);
  const hits = tf.sum(sigmoidCrossEntropy(tHit, rHit), [1, 2]);
  const vel = tf.sum(tf.mul(tHit, tf.square(tf.sub(tf.sigmoid(rVel), tVel))), [1, 2]);
  const off = tf.sum(tf.mul(tHit, tf.square(tf.sub(tf.tanh(rOff), tOff))), [1, 2]);
  return tf.add(hits, tf.add(vel, off)) as tf.Tensor1D;
}

export interface LossParts {
  loss: tf.Scalar;
  hits: tf.Scalar;
  velocities: tf.Scalar;
  offsets: tf.Scalar;
  /** Mean total KL per example, in bits. */
  klBits: tf.Scalar;
  aux: tf.Scalar;
}

/**
 * The training objective on one batch. For the LSTM decoder, `keep` [B, factors]
 * says which inputs the batch shows (1) or hides (0: the latent is a prior
 * sample, no KL, no auxiliary loss), as issue 3 asked. The step decoder always
 * gets the posterior latents (a VAE learns to use a latent only when training
 * feeds it the posterior); what it hides is the step-by-step input, already
 * masked in `stepInput` [B, 32, STEP_INPUT_WIDTH].
 */
export function computeLoss(
  params: Params,
  config: ModelConfig,
  target: tf.Tensor3D,
  gestures: GestureTensors,
  noise: tf.Tensor2D[],
  priorNoise: tf.Tensor2D[],
  keep: tf.Tensor2D | null,
  stepInput: tf.Tensor3D | null = null,
  feedMask: tf.Tensor3D | null = null,
  lstmMasks: LstmInputMasks | null = null,
): LossParts {
  const steps = config.decoder.kind === 'steps';
  if (steps && !stepInput) throw new Error(`${config.name}: the step decoder needs the step inputs`);
  const zs: tf.Tensor2D[] = [];
  let kl: tf.Tensor1D = tf.zeros([target.shape[0]]);
  let aux: tf.Tensor1D = tf.zeros([target.shape[0]]);
  config.factors.forEach((factor, i) => {
    const input = factorInput(factor, gestures);
    const post = encodeFactor(params, factor, i, input, lstmMasks?.encoders[i] ?? null);
    let z = tf.add(post.mu, tf.mul(post.sigma, noise[i])) as tf.Tensor2D;
    let factorKl = klDivergence(post);
    const keepI = keep && !steps ? (tf.slice(keep, [0, i], [-1, 1]) as tf.Tensor2D) : null;
    if (keepI) {
      z = tf.add(tf.mul(keepI, z), tf.mul(tf.sub(1, keepI), priorNoise[i])) as tf.Tensor2D;
      factorKl = tf.mul(factorKl, tf.reshape(keepI, [-1])) as tf.Tensor1D;
    }
    kl = tf.add(kl, factorKl) as tf.Tensor1D;
    if (factor.auxiliary) {
      let a = auxiliaryLoss(factor, decodeAuxiliary(params, i, z), input);
      if (keepI) a = tf.mul(a, tf.reshape(keepI, [-1])) as tf.Tensor1D;
      aux = tf.add(aux, a) as tf.Tensor1D;
    }
    zs.push(z);
  });
  const z = zs.length === 1 ? zs[0] : (tf.concat(zs, 1) as tf.Tensor2D);
  const r = steps
    ? stepLoss(decodeSteps(params, config, stepInput!, z), target)
    : reconstructionLoss(decodeTeacherForced(params, config, z, target, feedMask, lstmMasks), target);
  const hits = tf.mean(r.hits) as tf.Scalar;
  const velocities = tf.mean(r.velocities) as tf.Scalar;
  const offsets = tf.mean(r.offsets) as tf.Scalar;
  const auxMean = tf.mean(aux) as tf.Scalar;
  const klCost = freeBitsCost(kl, config.loss.freeBits, config.loss.beta);
  // The logged parts stay unweighted, so runs with other timing weights compare part by part.
  const timing = tf.mul(config.loss.timingWeight ?? 1, tf.add(velocities, offsets));
  const loss = tf.addN([hits, timing, klCost, tf.mul(config.loss.auxWeight, auxMean)]) as tf.Scalar;
  return { loss, hits, velocities, offsets, klBits: tf.div(tf.mean(kl), Math.LN2) as tf.Scalar, aux: auxMean };
}
