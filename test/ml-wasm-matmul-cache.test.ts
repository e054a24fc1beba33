import { expect } from 'chai';
import { initBackend, tf } from '../firmware-ts/ml/runtime.js';

/** Plain-JS reference for a^T b (a: [k, m], b: [k, n]). */
function transposedProduct(a: Float32Array, b: Float32Array, k: number, m: number, n: number): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let r = 0; r < k; r++) s += a[r * m + i] * b[r * n + j];
    out[i * n + j] = s;
  }
  return out;
}

describe('wasm BatchMatMul fix: one gradient used under two reshapes', function () {
  before(async function () {
    const backend = await initBackend();
    if (backend !== 'wasm') {
      console.log(`    (skipped: the fix only applies to the wasm backend; this run uses ${backend})`);
      this.skip();
    }
  });

  // The decoder's output gradient [B, 32, 27] is the `b` of two products: as [B*32, 27]
  // (output layer) and as [B, 864] (the latent skip path). XNNPACK's packed copy of `b`
  // is cached by data id; without a fresh id the second product ran on the first one's
  // packing and wrote out of bounds (seen as "memory access out of bounds" in training).
  it('gives the reference numbers for both products', function () {
    const B = 8, T = 32, F = 27, H = 16, Z = 12;
    const g = tf.randomNormal([B, T, F], 0, 1, 'float32', 1);
    const h = tf.randomNormal([B * T, H], 0, 1, 'float32', 2);
    const z = tf.randomNormal([B, Z], 0, 1, 'float32', 3);
    const first = tf.matMul(h, tf.reshape(g, [B * T, F]), true, false);
    const second = tf.matMul(z, tf.reshape(g, [B, T * F]), true, false);
    const gv = g.dataSync() as Float32Array;
    const expectFirst = transposedProduct(h.dataSync() as Float32Array, gv, B * T, H, F);
    const expectSecond = transposedProduct(z.dataSync() as Float32Array, gv, B, Z, T * F);
    const got1 = first.dataSync(), got2 = second.dataSync();
    for (let i = 0; i < expectFirst.length; i++) expect(got1[i]).to.be.closeTo(expectFirst[i], 1e-3);
    for (let i = 0; i < expectSecond.length; i++) expect(got2[i]).to.be.closeTo(expectSecond[i], 1e-3);
    tf.dispose([g, h, z, first, second]);
  });
});
