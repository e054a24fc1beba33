// One training batch: the examples as tensors (with the inputs the step decoder is not shown), their
// loss and gradients, one optimisation step on them, and the mean loss over a whole split.

import { tf } from '../ml/runtime.js';
import { latentSize, type ModelConfig } from '../model/config.js';
import { computeLoss, type LossParts, type LstmInputMasks } from '../model/network.js';
import { factorInputWidth, type Params } from '../model/params.js';
import { gaussian, mulberry32 } from '../model/random.js';
import { STEP_INPUT_WIDTH, writeStepInput, type StepGiven } from '../model/step-decoder.js';
import { DRUM_COUNT } from '../pattern/drums.js';
import { GROOVE_SIZE, SCORE_SIZE, drumRow, unpackGroove, type GestureArrays } from '../pattern/gesture-layout.js';
import { STEPS } from '../pattern/pattern.js';
import { FEATURES, PATTERN_TENSOR_SIZE } from '../pattern/tensor-layout.js';
import type { Adam } from './adam.js';

export interface Split {
  patterns: Float32Array;
  gestures: GestureArrays;
  count: number;
}

export const PART_NAMES = ['loss', 'hits', 'velocities', 'offsets', 'klBits', 'aux'] as const;

interface BatchTensors {
  target: tf.Tensor3D;
  gestures: { score: tf.Tensor3D; groove: tf.Tensor3D; accent: tf.Tensor2D };
  noise: tf.Tensor2D[];
  priorNoise: tf.Tensor2D[];
  keep: tf.Tensor2D | null;
  /** The step decoder's masked step-by-step input (null for the LSTM decoder). */
  stepInput: tf.Tensor3D | null;
  /** LSTM decoder in training with `decoder.inputDropout`: 1 where a step is shown its previous output, [B,32,1]. */
  feedMask: tf.Tensor3D | null;
  /** Training with `train.lstmInputDropout`: the masks on every LSTM layer's input. */
  lstmMasks: LstmInputMasks | null;
}

/** One mask [n, 32, width]: each element 0 with probability p, else 1 / (1 - p). */
function dropoutMask(n: number, width: number, p: number, rand: () => number): tf.Tensor3D {
  const kept = 1 / (1 - p);
  return tf.tensor3d(
    Float32Array.from({ length: n * STEPS * width }, () => (rand() < p ? 0 : kept)),
    [n, STEPS, width],
  );
}

/** The masks of `train.lstmInputDropout` for a batch of n, or null where the config asks for none. */
export function lstmInputMasks(config: ModelConfig, n: number, rand: () => number): LstmInputMasks | null {
  const p = config.train.lstmInputDropout ?? 0;
  // The step decoder's models have no LSTM (their encoders are MLPs); `train --lstm-dropout` refuses them.
  if (p <= 0 || config.decoder.kind === 'steps') return null;
  const encoders = config.factors.map((f) => {
    if (f.encoder !== 'bilstm') return null;
    const width = factorInputWidth(f).perStep;
    return { fw: dropoutMask(n, width, p, rand), bw: dropoutMask(n, width, p, rand) };
  });
  const decoder = Array.from({ length: config.decoder.layers }, (_, l) =>
    dropoutMask(n, l === 0 ? FEATURES : config.decoder.units, p, rand),
  );
  return { encoders, decoder, latent: dropoutMask(n, latentSize(config), p, rand) };
}

export function disposeLstmInputMasks(m: LstmInputMasks): void {
  tf.dispose([...m.encoders.flatMap((e) => (e ? [e.fw, e.bw] : [])), ...m.decoder, m.latent]);
}

/**
 * Which inputs one training example hides from the step decoder. The drums are
 * hidden all together, shown all together, or each on its own, because a
 * performer gives a whole score (humanize), none (drumify) or a few rows.
 */
export function hiddenFactors(config: ModelConfig, rand: () => number): boolean[] {
  const r = rand();
  const drumsTogether = r < 0.2 ? false : r < 0.4 ? true : null;
  return config.factors.map((f) =>
    f.input.startsWith('drum') && drumsTogether !== null ? drumsTogether : rand() < f.dropProbability,
  );
}

function stepInputOf(config: ModelConfig, set: Split, indices: ArrayLike<number>, rand: () => number): Float32Array {
  const n = indices.length;
  const out = new Float32Array(n * STEPS * STEP_INPUT_WIDTH);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    const hidden = hiddenFactors(config, rand);
    const given: StepGiven = { drums: new Array(DRUM_COUNT).fill(null), groove: null, accent: null };
    config.factors.forEach((f, fi) => {
      if (hidden[fi]) return;
      if (f.input === 'groove') {
        given.groove = unpackGroove(set.gestures.groove, i * GROOVE_SIZE);
      } else if (f.input === 'accent') {
        given.accent = set.gestures.accent.subarray(i * STEPS, (i + 1) * STEPS);
      } else if (f.input.startsWith('drum')) {
        const d = Number(f.input.slice(4));
        given.drums[d] = drumRow(set.gestures.score.subarray(i * SCORE_SIZE, (i + 1) * SCORE_SIZE), d);
      }
    });
    writeStepInput(given, out, k * STEPS * STEP_INPUT_WIDTH);
  }
  return out;
}

function makeBatch(
  config: ModelConfig,
  set: Split,
  indices: ArrayLike<number>,
  seed: number,
  training: boolean,
): BatchTensors {
  const n = indices.length;
  const target = new Float32Array(n * PATTERN_TENSOR_SIZE);
  const score = new Float32Array(n * SCORE_SIZE);
  const groove = new Float32Array(n * GROOVE_SIZE);
  const accent = new Float32Array(n * STEPS);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    target.set(set.patterns.subarray(i * PATTERN_TENSOR_SIZE, (i + 1) * PATTERN_TENSOR_SIZE), k * PATTERN_TENSOR_SIZE);
    score.set(set.gestures.score.subarray(i * SCORE_SIZE, (i + 1) * SCORE_SIZE), k * SCORE_SIZE);
    groove.set(set.gestures.groove.subarray(i * GROOVE_SIZE, (i + 1) * GROOVE_SIZE), k * GROOVE_SIZE);
    accent.set(set.gestures.accent.subarray(i * STEPS, (i + 1) * STEPS), k * STEPS);
  }
  const rand = mulberry32(seed);
  const noise = config.factors.map((f) => tf.tensor2d(gaussian(n * f.latent, rand), [n, f.latent]));
  const priorNoise = config.factors.map((f) => tf.tensor2d(gaussian(n * f.latent, rand), [n, f.latent]));
  let keep: tf.Tensor2D | null = null;
  // Validation hides inputs too (the same ones every time: the seed is fixed), so its loss covers every way the box is played.
  const stepInput =
    config.decoder.kind === 'steps'
      ? tf.tensor3d(stepInputOf(config, set, indices, rand), [n, STEPS, STEP_INPUT_WIDTH])
      : null;
  if (training && config.decoder.kind !== 'steps' && config.factors.some((f) => f.dropProbability > 0)) {
    const mask = new Float32Array(n * config.factors.length);
    for (let k = 0; k < n; k++)
      config.factors.forEach((f, i) => {
        mask[k * config.factors.length + i] = rand() < f.dropProbability ? 0 : 1;
      });
    keep = tf.tensor2d(mask, [n, config.factors.length]);
  }
  // Drawn last and only when asked for, in this order: feedMask, then the LSTM masks, so that every run without them
  // draws what it did before they existed. A new draw goes after them.
  const inputDropout = config.decoder.kind !== 'steps' ? (config.decoder.inputDropout ?? 0) : 0;
  let feedMask: tf.Tensor3D | null = null;
  if (training && inputDropout > 0) {
    const shown = Float32Array.from({ length: n * STEPS }, () => (rand() < inputDropout ? 0 : 1));
    feedMask = tf.tensor3d(shown, [n, STEPS, 1]);
  }
  const lstmMasks = training ? lstmInputMasks(config, n, rand) : null;
  return {
    target: tf.tensor3d(target, [n, STEPS, FEATURES]),
    gestures: {
      score: tf.tensor3d(score, [n, STEPS, 9]),
      groove: tf.tensor3d(groove, [n, STEPS, 3]),
      accent: tf.tensor2d(accent, [n, STEPS]),
    },
    noise,
    priorNoise,
    keep,
    stepInput,
    feedMask,
    lstmMasks,
  };
}

function disposeBatch(b: BatchTensors): void {
  tf.dispose([b.target, b.gestures.score, b.gestures.groove, b.gestures.accent, ...b.noise, ...b.priorNoise]);
  if (b.keep) b.keep.dispose();
  if (b.stepInput) b.stepInput.dispose();
  if (b.feedMask) b.feedMask.dispose();
  if (b.lstmMasks) disposeLstmInputMasks(b.lstmMasks);
}

function readParts(parts: LossParts): Record<(typeof PART_NAMES)[number], number> {
  return Object.fromEntries(PART_NAMES.map((p) => [p, parts[p].dataSync()[0]])) as Record<
    (typeof PART_NAMES)[number],
    number
  >;
}

/** The gradients of the mean loss over `indices` (keyed like `params`) and the batch's loss parts. */
export function batchGradients(
  params: Params,
  config: ModelConfig,
  set: Split,
  indices: ArrayLike<number>,
  seed: number,
): { grads: Record<string, tf.Tensor>; parts: Record<string, number> } {
  const batch = makeBatch(config, set, indices, seed, true);
  let parts: LossParts | null = null;
  const { grads } = tf.variableGrads(() => {
    parts = computeLoss(
      params,
      config,
      batch.target,
      batch.gestures,
      batch.noise,
      batch.priorNoise,
      batch.keep,
      batch.stepInput,
      batch.feedMask,
      batch.lstmMasks,
    );
    tf.keep(parts.hits);
    tf.keep(parts.velocities);
    tf.keep(parts.offsets);
    tf.keep(parts.klBits);
    tf.keep(parts.aux);
    return parts.loss;
  }, [...params.values()]);
  const named: Record<string, tf.Tensor> = {};
  for (const [name, v] of params) named[name] = grads[v.name];
  const values = readParts(parts!);
  tf.dispose(Object.values(parts!));
  disposeBatch(batch);
  return { grads: named, parts: values };
}

/** One optimisation step; returns the batch's loss parts. */
export function trainStep(
  params: Params,
  adam: Adam,
  config: ModelConfig,
  set: Split,
  indices: ArrayLike<number>,
  seed: number,
  learningRate: number,
): Record<string, number> {
  const { grads, parts } = batchGradients(params, config, set, indices, seed);
  adam.apply(params, grads, learningRate, config.train.clipNorm);
  tf.dispose(Object.values(grads));
  return parts;
}

/** Mean loss parts over a whole split (no input dropped; fixed noise). */
export function evaluateLoss(params: Params, config: ModelConfig, set: Split, seed: number): Record<string, number> {
  const sums: Record<string, number> = Object.fromEntries(PART_NAMES.map((p) => [p, 0]));
  const size = 256;
  let total = 0;
  for (let start = 0; start < set.count; start += size) {
    const indices = Array.from({ length: Math.min(size, set.count - start) }, (_, k) => start + k);
    const batch = makeBatch(config, set, indices, seed + start, false);
    const values = tf.tidy(() =>
      readParts(
        computeLoss(params, config, batch.target, batch.gestures, batch.noise, batch.priorNoise, null, batch.stepInput),
      ),
    );
    disposeBatch(batch);
    for (const p of PART_NAMES) sums[p] += values[p] * indices.length;
    total += indices.length;
  }
  return Object.fromEntries(PART_NAMES.map((p) => [p, sums[p] / total]));
}
