import { tf } from '../ml/runtime.js';
import type { Params } from './params.js';

/** Dense layer: x [N, in] -> [N, out]. */
export function dense(params: Params, prefix: string, x: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.matMul(x, params.get(`${prefix}.W`)! as tf.Tensor2D), params.get(`${prefix}.b`)!);
}

/** One LSTM step from a precomputed input projection `xProj` = x.Wx + b. Gate order i, f, g, o. */
export function lstmStep(
  Wh: tf.Tensor2D,
  xProj: tf.Tensor2D,
  h: tf.Tensor2D,
  c: tf.Tensor2D,
): [tf.Tensor2D, tf.Tensor2D] {
  const gates = tf.add(xProj, tf.matMul(h, Wh));
  const [i, f, g, o] = tf.split(gates, 4, 1) as tf.Tensor2D[];
  const cNext = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
  const hNext = tf.mul(tf.sigmoid(o), tf.tanh(cNext)) as tf.Tensor2D;
  return [hNext, cNext];
}

/**
 * Runs an LSTM over a sequence x [B, T, F]; returns every step's h. The input
 * projection of all steps is one matMul (cheaper than T small ones).
 */
export function lstmSequence(
  params: Params,
  prefix: string,
  x: tf.Tensor3D,
  init?: { h: tf.Tensor2D; c: tf.Tensor2D },
  extraProj?: tf.Tensor2D | tf.Tensor3D,
  reverse = false,
): tf.Tensor2D[] {
  const [batch, steps, features] = x.shape;
  const Wx = params.get(`${prefix}.Wx`)! as tf.Tensor2D;
  const Wh = params.get(`${prefix}.Wh`)! as tf.Tensor2D;
  const units = Wh.shape[0];
  const proj = tf.add(tf.matMul(tf.reshape(x, [batch * steps, features]), Wx), params.get(`${prefix}.b`)!);
  let proj3 = tf.reshape(proj, [batch, steps, 4 * units]) as tf.Tensor3D;
  // A [B, 4u] projection is the same at every step; a [B, steps, 4u] one differs per step (a dropout mask on it).
  if (extraProj) proj3 = tf.add(proj3, extraProj.rank === 2 ? tf.expandDims(extraProj, 1) : extraProj);
  const perStep = tf.unstack(proj3, 1) as tf.Tensor2D[];
  let h = init?.h ?? tf.zeros([batch, units]);
  let c = init?.c ?? tf.zeros([batch, units]);
  const out: tf.Tensor2D[] = new Array(steps);
  for (let k = 0; k < steps; k++) {
    const t = reverse ? steps - 1 - k : k;
    [h, c] = lstmStep(Wh, perStep[t], h, c);
    out[t] = h;
  }
  return out;
}

/** sigmoid cross-entropy from logits, element-wise, numerically stable. */
export function sigmoidCrossEntropy(labels: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  return tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
}
