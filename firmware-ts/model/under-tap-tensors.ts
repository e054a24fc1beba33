/**
 * The under-tap network (under-tap.ts) on the model's tfjs backend: a loop's notes are one small batch, and the
 * backend's matrix products take a fraction of what the same arithmetic takes in plain JS. The weights live as
 * tensors as long as the model does.
 */
import { tf } from '../ml/runtime.js';
import { UNDER_TAP_FEATURES, UNDER_TAP_OUTPUTS, type UnderTapNet, type UnderTapPredictor } from './under-tap.js';

export class UnderTapTensors {
  readonly #weights: tf.Tensor[];
  readonly predict: UnderTapPredictor;

  constructor(net: UnderTapNet) {
    const [h1, h2] = net.hidden;
    const w1 = tf.tensor2d(net.w1, [UNDER_TAP_FEATURES, h1]);
    const b1 = tf.tensor1d(net.b1);
    const w2 = tf.tensor2d(net.w2, [h1, h2]);
    const b2 = tf.tensor1d(net.b2);
    const w3 = tf.tensor2d(net.w3, [h2, UNDER_TAP_OUTPUTS]);
    const b3 = tf.tensor1d(net.b3);
    this.#weights = [w1, b1, w2, b2, w3, b3];
    this.predict = (x, n) =>
      tf.tidy(() => {
        const a1 = tf.relu(tf.tensor2d(x, [n, UNDER_TAP_FEATURES]).matMul(w1).add(b1));
        const a2 = tf.relu(a1.matMul(w2).add(b2));
        return a2.matMul(w3).add(b3).dataSync() as Float32Array;
      });
  }

  dispose(): void {
    tf.dispose(this.#weights);
  }
}
