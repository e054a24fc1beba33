import { tf } from '../ml/runtime.js';
import { DRUM_COUNT } from '../pattern/drums.js';
import { STEPS } from '../pattern/pattern.js';
import type { ModelConfig } from './config.js';
import { dense, sigmoidCrossEntropy } from './layers.js';
import type { ParamSpec, Params } from './params.js';

/**
 * The step-conditioned decoder ("steps"): every given gesture reaches the
 * decoder step by step, with a mask that says which gestures were given, while
 * the latents carry what is left to the model. All 32 steps are computed at
 * once (no recurrence), so training and generation are a handful of large
 * matrix products instead of 32 small ones.
 *
 * Why: a 32-step groove squeezed through a 16-number latent loses its timing
 * (the auxiliary reconstruction of the old ag11 already had it blurred), so the
 * decoder could not follow a tapped groove better than a drum machine's groove
 * template. Here the tapped offset of step s is an input of step s.
 *
 * Context across steps comes from dilated circular "convolutions" (each step
 * reads its neighbours d steps away on both sides; the loop wraps around, as a
 * loop does) written as slices, concatenations and matrix products, so the
 * WebAssembly backend, which has no convolution gradient, can train it.
 */

/** Per step: the given score (9) and which drums are given (9), the groove (3) and whether it is given (1), the accent and whether it is given. */
export const CONDITION_WIDTH = 2 * DRUM_COUNT + 4 + 2;
/** Where in the bar a step is: sixteenth within the beat (4), beat within the bar (4), bar (2). */
export const POSITION_WIDTH = 10;
export const STEP_INPUT_WIDTH = CONDITION_WIDTH + POSITION_WIDTH;
/** Where a step's input holds the given groove's velocity and offset (zero where the groove has no hit or is not given). */
const GROOVE_VELOCITY = 2 * DRUM_COUNT + 1;
const GROOVE_OFFSET = 2 * DRUM_COUNT + 2;
/**
 * Per drum and step: hit logit, velocity location and scale, offset location and
 * scale. Locations are plain numbers (velocity 0..1, offset -1..1 once clamped
 * for playing): they start at the given groove's values (see grooveBase).
 */
export const STEP_OUTPUT_WIDTH = 5 * DRUM_COUNT;
/** The smallest spread a velocity or offset distribution may have (keeps the Laplace likelihood finite). */
export const MIN_SCALE = 0.004;

/** What is given for one example: per drum a 32-step row or null (left to the model), the groove and the accent or null. */
export interface StepGiven {
  drums: (ArrayLike<number> | null)[];
  groove: { hits: ArrayLike<number>; velocities: ArrayLike<number>; offsets: ArrayLike<number> } | null;
  accent: ArrayLike<number> | null;
}

/**
 * Writes one example's decoder input, [32 x STEP_INPUT_WIDTH], at `at`. The one
 * place that lays out the step conditioning: training and generation both use it.
 */
export function writeStepInput(given: StepGiven, out: Float32Array, at: number): void {
  for (let s = 0; s < STEPS; s++) {
    const row = at + s * STEP_INPUT_WIDTH;
    for (let d = 0; d < DRUM_COUNT; d++) {
      const drum = given.drums[d];
      out[row + d] = drum && drum[s] > 0.5 ? 1 : 0;
      out[row + DRUM_COUNT + d] = drum ? 1 : 0;
    }
    let k = row + 2 * DRUM_COUNT;
    const g = given.groove;
    const hit = g && g.hits[s] > 0.5 ? 1 : 0;
    out[k++] = hit;
    out[k++] = hit ? g!.velocities[s] : 0;
    out[k++] = hit ? g!.offsets[s] : 0;
    out[k++] = g ? 1 : 0;
    out[k++] = given.accent && given.accent[s] > 0.5 ? 1 : 0;
    out[k++] = given.accent ? 1 : 0;
    // Position one-hots.
    out[k + (s % 4)] = 1;
    out[k + 4 + (Math.floor(s / 4) % 4)] = 1;
    out[k + 8 + Math.floor(s / 16)] = 1;
  }
}

export function stepDecoderParamSpecs(config: ModelConfig, latent: number): ParamSpec[] {
  const h = config.decoder.units;
  const d = (name: string, input: number, output: number): ParamSpec[] => [
    { name: `${name}.W`, shape: [input, output], init: 'glorot' },
    { name: `${name}.b`, shape: [output], init: 'zeros' },
  ];
  const specs: ParamSpec[] = [...d('dec.in', STEP_INPUT_WIDTH, h), ...d('dec.z', latent, h)];
  stepDilations(config).forEach((_, i) => {
    specs.push(...d(`dec.block${i}`, 3 * h, h), ...d(`dec.global${i}`, h, h), ...d(`dec.zb${i}`, latent, h));
  });
  specs.push(...d('dec.out', h, STEP_OUTPUT_WIDTH));
  return specs;
}

export function stepDilations(config: ModelConfig): number[] {
  return config.decoder.dilations ?? [1, 2, 4, 8];
}

/** The sequence moved `by` steps later, wrapping around the loop: out[t] = x[t - by]. */
function roll(x: tf.Tensor3D, by: number): tf.Tensor3D {
  const shift = ((by % STEPS) + STEPS) % STEPS;
  if (shift === 0) return x;
  const tail = tf.slice(x, [0, STEPS - shift, 0], [-1, shift, -1]);
  const head = tf.slice(x, [0, 0, 0], [-1, STEPS - shift, -1]);
  return tf.concat([tail, head], 1) as tf.Tensor3D;
}

function dense3(params: Params, prefix: string, x: tf.Tensor3D): tf.Tensor3D {
  const [b, t, f] = x.shape;
  const y = dense(params, prefix, tf.reshape(x, [b * t, f]) as tf.Tensor2D);
  return tf.reshape(y, [b, t, y.shape[1]]) as tf.Tensor3D;
}

/** Raw outputs [B, 32, STEP_OUTPUT_WIDTH] from the step inputs [B, 32, STEP_INPUT_WIDTH] and the latents [B, Z]. */
export function decodeSteps(params: Params, config: ModelConfig, stepInput: tf.Tensor3D, z: tf.Tensor2D): tf.Tensor3D {
  let h = tf.relu(
    tf.add(dense3(params, 'dec.in', stepInput), tf.expandDims(dense(params, 'dec.z', z), 1)),
  ) as tf.Tensor3D;
  stepDilations(config).forEach((dilation, i) => {
    const context = tf.concat([roll(h, dilation), h, roll(h, -dilation)], 2) as tf.Tensor3D;
    const global = dense(params, `dec.global${i}`, tf.mean(h, 1) as tf.Tensor2D);
    const fromLatent = dense(params, `dec.zb${i}`, z);
    const update = tf.relu(
      tf.add(dense3(params, `dec.block${i}`, context), tf.expandDims(tf.add(global, fromLatent), 1)),
    );
    h = tf.add(h, update) as tf.Tensor3D;
  });
  return tf.add(dense3(params, 'dec.out', h), tf.matMul(stepInput, grooveBase())) as tf.Tensor3D;
}

let grooveBaseMatrix: tf.Tensor2D | null = null;

/**
 * A fixed map from a step's input to its outputs: the given groove's velocity
 * and offset at a step are where every drum's velocity and offset start, so
 * the network learns only how each drum departs from the tapped groove (and,
 * with no groove given, these inputs are zero and it learns them outright).
 * Without this, the network first had to learn to copy 32 numbers through its
 * layers, and did so worse than a drum machine's groove template.
 */
function grooveBase(): tf.Tensor2D {
  if (!grooveBaseMatrix || grooveBaseMatrix.isDisposed) {
    const m = new Float32Array(STEP_INPUT_WIDTH * STEP_OUTPUT_WIDTH);
    for (let d = 0; d < DRUM_COUNT; d++) {
      m[GROOVE_VELOCITY * STEP_OUTPUT_WIDTH + DRUM_COUNT + d] = 1;
      m[GROOVE_OFFSET * STEP_OUTPUT_WIDTH + 3 * DRUM_COUNT + d] = 1;
    }
    grooveBaseMatrix = tf.keep(tf.tensor2d(m, [STEP_INPUT_WIDTH, STEP_OUTPUT_WIDTH]));
  }
  return grooveBaseMatrix;
}

export interface StepHeads {
  hitLogits: tf.Tensor3D;
  velocity: tf.Tensor3D;
  velocityScale: tf.Tensor3D;
  offset: tf.Tensor3D;
  offsetScale: tf.Tensor3D;
}

export function stepHeads(raw: tf.Tensor3D): StepHeads {
  const [hitLogits, v, vs, o, os] = tf.split(raw, 5, 2) as tf.Tensor3D[];
  const scale = (x: tf.Tensor3D) => tf.add(tf.softplus(x), MIN_SCALE) as tf.Tensor3D;
  return { hitLogits, velocity: v, velocityScale: scale(vs), offset: o, offsetScale: scale(os) };
}

/**
 * Per example: cross-entropy of the hits, and the negative log-likelihood of
 * each played note's velocity and offset under a Laplace distribution (its
 * location is the median, so the point the model would play is the one with
 * the smallest absolute error; its scale is learned per note, so sampling it
 * gives the real spread instead of squared error's pull to the mean).
 * `target` [B, 32, 27] in the pattern tensor layout.
 */
export function stepLoss(
  raw: tf.Tensor3D,
  target: tf.Tensor3D,
): { hits: tf.Tensor1D; velocities: tf.Tensor1D; offsets: tf.Tensor1D } {
  const heads = stepHeads(raw);
  const [tHits, tVel, tOff] = tf.split(target, 3, 2) as tf.Tensor3D[];
  const laplace = (value: tf.Tensor3D, location: tf.Tensor3D, scale: tf.Tensor3D) =>
    tf.sum(tf.mul(tHits, tf.add(tf.div(tf.abs(tf.sub(value, location)), scale), tf.log(scale))), [1, 2]) as tf.Tensor1D;
  return {
    hits: tf.sum(sigmoidCrossEntropy(tHits, heads.hitLogits), [1, 2]) as tf.Tensor1D,
    velocities: laplace(tVel, heads.velocity, heads.velocityScale),
    offsets: laplace(tOff, heads.offset, heads.offsetScale),
  };
}
