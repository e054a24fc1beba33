import { tf } from '../ml/runtime.js';
import type { Params } from '../model/params.js';

/**
 * Adam with its state in plain variables, so a checkpoint can save and restore
 * it exactly (`--resume` continues the same run), with clipping by global norm.
 */
export class Adam {
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  step = 0;

  constructor(
    params: Params,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
  ) {
    for (const [name, p] of params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  /** Applies one update (`grads` keyed like `params`); returns the gradients' global norm before clipping. */
  apply(params: Params, grads: Record<string, tf.Tensor>, learningRate: number, clipNorm: number): number {
    this.step++;
    const t = this.step;
    const norm = tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
    const scale = Number.isFinite(norm) && norm > clipNorm ? clipNorm / norm : 1;
    if (!Number.isFinite(norm)) return norm; // skip a poisoned step rather than destroy the weights
    const lr = (learningRate * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
    tf.tidy(() => {
      for (const [name, p] of params) {
        const g = tf.mul(grads[name], scale);
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        p.assign(tf.sub(p, tf.mul(lr, tf.div(m, tf.add(tf.sqrt(v), this.epsilon)))));
      }
    });
    return norm;
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
  }
}
