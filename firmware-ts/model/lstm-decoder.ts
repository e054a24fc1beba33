/**
 * The paper's autoregressive LSTM decoder at generation time (the models of Table 1/2):
 * each step reads the previous step's generated output.
 */
import { tf } from '../ml/runtime.js';
import { DRUM_COUNT } from '../pattern/drums.js';
import { STEPS } from '../pattern/pattern.js';
import { FEATURES } from '../pattern/tensor-layout.js';
import type { ModelConfig } from './config.js';
import type { ForcedHits, NoteDrawOptions } from './draw-notes.js';
import type { Params } from './params.js';

export class LstmDecoder {
  readonly #params: Params;
  readonly #config: ModelConfig;
  // Per decoder layer: [Wx; Wh] stacked, so one matMul per step reads input and state.
  readonly #stacked: tf.Tensor2D[] = [];
  #head: { outW: Float32Array; outB: Float32Array } | null = null;

  constructor(config: ModelConfig, params: Params) {
    this.#config = config;
    this.#params = params;
    for (let l = 0; l < config.decoder.layers; l++) {
      this.#stacked.push(tf.concat([params.get(`dec.l${l}.Wx`)!, params.get(`dec.l${l}.Wh`)!], 0) as tf.Tensor2D);
    }
  }

  /** Frees the stacked copies (the weights themselves belong to the model). */
  dispose(): void {
    tf.dispose(this.#stacked);
  }

  /**
   * Step-by-step decoding: each step reads the previous step's generated output.
   * Returns the [N, 32, 27] values.
   *
   * Only the gate product (the one big matMul) runs as a kernel; the cell update and the
   * 27-wide output head are a few thousand flops done in plain JS on float32 storage. At
   * batch 1 every tfjs kernel call costs bookkeeping whatever its size, and a step as
   * tensor ops was a couple of dozen calls (split, sigmoids, tanhs, muls, concat, ...).
   * The latent's projection is added here, not given as the fused bias: a new bias tensor
   * per generation makes wasm's XNNPACK re-pack the whole weight matrix, every time.
   * (Figures: docs/performance-history.md.)
   */
  decode(
    z: tf.Tensor2D,
    n: number,
    rand: () => number,
    options: NoteDrawOptions,
    forced: ForcedHits | null,
  ): Float32Array {
    const p = this.#params;
    const { layers, units } = this.#config.decoder;
    const gateWidth = 4 * units;
    const zProj = valuesOf(() => tf.matMul(z, p.get('dec.l0.Wz')! as tf.Tensor2D));
    const h: Float32Array[] = [];
    const c: Float32Array[] = [];
    for (let l = 0; l < layers; l++) {
      const hc = valuesOf(() =>
        tf.tanh(tf.add(tf.matMul(z, p.get(`dec.init${l}.W`)! as tf.Tensor2D), p.get(`dec.init${l}.b`)!)),
      );
      h.push(new Float32Array(n * units));
      c.push(new Float32Array(n * units));
      for (let k = 0; k < n; k++) {
        h[l].set(hc.subarray(k * 2 * units, k * 2 * units + units), k * units);
        c[l].set(hc.subarray(k * 2 * units + units, (k + 1) * 2 * units), k * units);
      }
    }
    const { outW, outB } = this.#outputHead();
    // The latent's direct contribution to every step's output (config.decoder.skip), [n, 32 x 27].
    const skip = this.#config.decoder.skip
      ? valuesOf(() => tf.add(tf.matMul(z, p.get('dec.skip.W')! as tf.Tensor2D), p.get('dec.skip.b')!))
      : null;
    const sampleHits = options.hits === 'sample';
    const hitTemperature = options.hitTemperature ?? 1;
    // Drawn before the loop, in [step][example][drum] order, so a seed gives the same hits whatever the batch code does.
    const uniforms = sampleHits ? Float32Array.from({ length: STEPS * n * DRUM_COUNT }, rand) : null;
    const out = new Float32Array(n * STEPS * FEATURES);
    let previous = new Float32Array(n * FEATURES);
    const raw = new Float32Array(FEATURES);
    for (let t = 0; t < STEPS; t++) {
      let x: Float32Array = previous;
      let xWidth = FEATURES;
      for (let l = 0; l < layers; l++) {
        const inWidth = xWidth + units;
        const xh = new Float32Array(n * inWidth);
        for (let k = 0; k < n; k++) {
          xh.set(x.subarray(k * xWidth, (k + 1) * xWidth), k * inWidth);
          xh.set(h[l].subarray(k * units, (k + 1) * units), k * inWidth + xWidth);
        }
        const stacked = this.#stacked[l];
        const bias = p.get(`dec.l${l}.b`)! as tf.Tensor1D;
        const gates = valuesOf(() => tf.fused.matMul({ a: tf.tensor2d(xh, [n, inWidth]), b: stacked, bias }));
        if (l === 0) for (let j = 0; j < gates.length; j++) gates[j] += zProj[j];
        // Gate order i, f, g, o (as in layers.ts lstmStep).
        const hl = h[l],
          cl = c[l];
        for (let k = 0; k < n; k++) {
          const g0 = k * gateWidth;
          for (let j = 0; j < units; j++) {
            const cell =
              sigmoid(gates[g0 + units + j]) * cl[k * units + j] +
              sigmoid(gates[g0 + j]) * Math.tanh(gates[g0 + 2 * units + j]);
            cl[k * units + j] = cell;
            hl[k * units + j] = sigmoid(gates[g0 + 3 * units + j]) * Math.tanh(cl[k * units + j]);
          }
        }
        x = hl;
        xWidth = units;
      }
      const next = new Float32Array(n * FEATURES);
      for (let k = 0; k < n; k++) {
        raw.set(outB);
        if (skip) for (let m = 0; m < FEATURES; m++) raw[m] += skip[(k * STEPS + t) * FEATURES + m];
        for (let j = 0; j < units; j++) {
          const hj = x[k * units + j];
          const row = j * FEATURES;
          for (let m = 0; m < FEATURES; m++) raw[m] += hj * outW[row + m];
        }
        const at = k * FEATURES;
        for (let d = 0; d < DRUM_COUNT; d++) {
          const logit = raw[d];
          const cell = (k * STEPS + t) * DRUM_COUNT + d;
          const hit = forced?.mask[cell]
            ? forced.value[cell]
            : uniforms
              ? uniforms[(t * n + k) * DRUM_COUNT + d] < sigmoid(logit / hitTemperature)
                ? 1
                : 0
              : logit > 0
                ? 1
                : 0;
          // Fed back exactly as training data looks: velocity and offset are 0 where there is no hit.
          next[at + d] = hit;
          next[at + DRUM_COUNT + d] = hit ? sigmoid(raw[DRUM_COUNT + d]) : 0;
          next[at + 2 * DRUM_COUNT + d] = hit ? Math.tanh(raw[2 * DRUM_COUNT + d]) : 0;
        }
        out.set(next.subarray(at, at + FEATURES), (k * STEPS + t) * FEATURES);
      }
      previous = next;
    }
    return out;
  }

  /** The output layer's weights as plain arrays, read once (they never change after load). */
  #outputHead(): { outW: Float32Array; outB: Float32Array } {
    this.#head ??= {
      outW: this.#params.get('dec.out.W')!.dataSync() as Float32Array,
      outB: this.#params.get('dec.out.b')!.dataSync() as Float32Array,
    };
    return this.#head;
  }
}

/**
 * Runs `fn` in a tidy scope and returns its values. (Not `tf.tidy(() => t.dataSync())`:
 * tidy walks whatever its function returns looking for tensors, element by element.)
 */
function valuesOf(fn: () => tf.Tensor): Float32Array {
  let values: Float32Array | null = null;
  tf.tidy(() => {
    values = fn().dataSync() as Float32Array;
  });
  return values!;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
