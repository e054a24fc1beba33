import { expect } from 'chai';
import { tf } from '../firmware-ts/ml/runtime.js';
import { isWasmBatchMatMulPatched, patchWasmBatchMatMul } from '../firmware-ts/ml/wasm-matmul-fix.js';
import { prng } from './helpers/fixtures.js';
import { onWasmBackend } from './helpers/wasm-backend.js';

/**
 * The wasm BatchMatMul fix (transpose first, then the untransposed kernel) must give
 * the numbers of an independent implementation: tfjs's plain-JS cpu kernel.
 */
describe('ml: the wasm BatchMatMul fix', function () {
  let backToRunBackend: () => Promise<void>;

  before(async function () {
    backToRunBackend = await onWasmBackend();
    patchWasmBatchMatMul();
    expect(isWasmBatchMatMulPatched(), 'the fix is in place (else this would test the original kernel)').to.equal(true);
  });

  after(async () => {
    await backToRunBackend();
  });

  function random(shape: number[], seed: number): Float32Array {
    const r = prng(seed);
    return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1);
  }

  /** a @ b on a backend, from plain arrays (tensors do not cross backends). */
  async function matMulOn(
    backend: string,
    a: Float32Array,
    aShape: number[],
    b: Float32Array,
    bShape: number[],
    ta: boolean,
    tb: boolean,
  ): Promise<{ values: Float32Array; shape: number[] }> {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const out = tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), ta, tb);
      return { values: out.dataSync() as Float32Array, shape: out.shape };
    });
  }

  const cases: { name: string; a: number[]; b: number[] }[] = [
    { name: '2-D', a: [7, 13], b: [13, 5] },
    { name: 'batched 3-D', a: [3, 7, 13], b: [3, 13, 5] },
    { name: 'batched against a broadcast batch of 1', a: [4, 6, 9], b: [1, 9, 11] },
  ];

  for (const c of cases) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        it(`${c.name}, transposeA=${ta}, transposeB=${tb}: same numbers as the cpu kernel`, async () => {
          const swap = (s: number[]) => [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]];
          const aShape = ta ? swap(c.a) : c.a;
          const bShape = tb ? swap(c.b) : c.b;
          const a = random(aShape, 1 + c.a.length * 10 + Number(ta));
          const b = random(bShape, 2 + c.b.length * 10 + Number(tb));
          const wasm = await matMulOn('wasm', a, aShape, b, bShape, ta, tb);
          const cpu = await matMulOn('cpu', a, aShape, b, bShape, ta, tb);
          await tf.setBackend('wasm');
          expect(wasm.shape).to.deep.equal(cpu.shape);
          expect(wasm.values.length).to.equal(cpu.values.length);
          for (let i = 0; i < cpu.values.length; i++)
            expect(wasm.values[i], `element ${i}`).to.be.closeTo(cpu.values[i], 1e-5);
        });
      }
    }
  }

  it('frees its transposed temporaries (no wasm buffers left behind)', () => {
    const backend = tf.backend();
    const a = tf.tensor(random([2, 8, 5], 3), [2, 8, 5]);
    const b = tf.tensor(random([2, 6, 8], 4), [2, 6, 8]);
    const before = backend.numDataIds();
    for (let k = 0; k < 20; k++) tf.matMul(a, b, true, true).dispose();
    expect(backend.numDataIds()).to.equal(before);
    tf.dispose([a, b]);
  });

  it('gradients through a transposed product match the cpu backend (the training path it speeds up)', async () => {
    const x = random([5, 7], 8),
      w = random([7, 3], 9);
    const grads = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const wt = tf.tensor2d(w, [7, 3]);
        const g = tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.matMul(tf.tensor2d(x, [5, 7]), v as tf.Tensor2D))))(wt);
        return g.dataSync() as Float32Array;
      });
    };
    const onWasm = await grads('wasm');
    const onCpu = await grads('cpu');
    await tf.setBackend('wasm');
    for (let i = 0; i < onCpu.length; i++) expect(onWasm[i]).to.be.closeTo(onCpu[i], 1e-4);
  });

  // The decoder's output gradient [B, 32, 27] is the `b` of two products: as [B*32, 27]
  // (output layer) and as [B, 864] (the latent skip path). XNNPACK's packed copy of `b`
  // is cached by data id; without a fresh id the second product ran on the first one's
  // packing and wrote out of bounds (seen as "memory access out of bounds" in training).
  it('one tensor used as b under two reshapes: both products match the cpu kernel', async () => {
    const B = 8,
      T = 32,
      F = 27,
      H = 16,
      Z = 12;
    const g = random([B, T, F], 21),
      h = random([B * T, H], 22),
      z = random([B, Z], 23);
    const products = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const gt = tf.tensor(g, [B, T, F]);
        const first = tf.matMul(tf.tensor2d(h, [B * T, H]), tf.reshape(gt, [B * T, F]), true, false);
        const second = tf.matMul(tf.tensor2d(z, [B, Z]), tf.reshape(gt, [B, T * F]), true, false);
        return [first.dataSync() as Float32Array, second.dataSync() as Float32Array];
      });
    };
    const onWasm = await products('wasm');
    const onCpu = await products('cpu');
    await tf.setBackend('wasm');
    for (const k of [0, 1])
      for (let i = 0; i < onCpu[k].length; i++) expect(onWasm[k][i]).to.be.closeTo(onCpu[k][i], 1e-3);
  });
});
