import { expect } from 'chai';
import { tf } from '../firmware-ts/ml/runtime.js';
import { copySlice, isWasmSlicePatched, patchWasmSlice } from '../firmware-ts/ml/wasm-slice-fix.js';
import { prng } from './helpers/fixtures.js';
import { onWasmBackend } from './helpers/wasm-backend.js';

/**
 * The wasm Slice fix (copy from the heap directly, not through a copy of the whole input) must
 * give the numbers of an independent implementation: tfjs's plain-JS cpu kernel.
 */
describe('ml: the wasm Slice fix', function () {
  let backToRunBackend: () => Promise<void>;

  before(async function () {
    backToRunBackend = await onWasmBackend();
    patchWasmSlice();
    expect(isWasmSlicePatched(), 'the fix is in place (else this would test the original kernel)').to.equal(true);
  });

  after(async () => {
    await backToRunBackend();
  });

  const sliceOn = async (
    backend: string,
    values: Float32Array | Int32Array,
    shape: number[],
    begin: number[],
    size: number[],
  ) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const out = tf.slice(tf.tensor(values, shape), begin, size);
      return { values: Array.from(out.dataSync()), shape: out.shape, dtype: out.dtype };
    });
  };

  it("random blocks of tensors of rank 1 to 5, float32 and int32: the cpu kernel's values and shape", async () => {
    const r = prng(77);
    const pick = (n: number) => Math.floor(r() * n);
    for (let k = 0; k < 60; k++) {
      const rank = 1 + (k % 5);
      const shape = Array.from({ length: rank }, () => 1 + pick(6));
      const count = shape.reduce((a, b) => a * b, 1);
      const values =
        k % 2 === 0
          ? Float32Array.from({ length: count }, () => r() * 2 - 1)
          : Int32Array.from({ length: count }, () => pick(1000) - 500);
      const begin = shape.map((n) => pick(n));
      // -1 (to the end) now and then, a whole dimension now and then, else a random length.
      const size = shape.map((n, d) => (r() < 0.2 ? -1 : r() < 0.3 ? n - begin[d] : 1 + pick(n - begin[d])));
      const wasm = await sliceOn('wasm', values, shape, begin, size);
      const cpu = await sliceOn('cpu', values, shape, begin, size);
      const what = `shape ${shape} begin ${begin} size ${size}`;
      expect(wasm.shape, what).to.deep.equal(cpu.shape);
      expect(wasm.dtype, what).to.equal(cpu.dtype);
      expect(wasm.values, what).to.deep.equal(cpu.values);
    }
    await tf.setBackend('wasm');
  });

  it('the steps of a [batch, 32, features] sequence (unstack, as the LSTMs read them) and an empty slice', async () => {
    const r = prng(5);
    const shape = [3, 32, 27];
    const values = Float32Array.from({ length: 3 * 32 * 27 }, () => r());
    await tf.setBackend('wasm');
    const steps = tf.tidy(() => tf.unstack(tf.tensor(values, shape), 1).map((t) => Array.from(t.dataSync())));
    expect(steps).to.have.length(32);
    for (const t of [0, 13, 31])
      for (let b = 0; b < 3; b++)
        expect(steps[t].slice(b * 27, (b + 1) * 27)).to.deep.equal(
          Array.from(values.subarray((b * 32 + t) * 27, (b * 32 + t + 1) * 27)),
        );
    const empty = tf.tidy(() => tf.slice(tf.tensor(values, shape), [0, 5, 0], [3, 0, 27]).shape);
    expect(empty).to.deep.equal([3, 0, 27]);
  });

  it("unstack and split along every axis, float32 and int32: the cpu kernel's values and shapes", async () => {
    const r = prng(9);
    const shape = [3, 4, 5];
    const floats = Float32Array.from({ length: 60 }, () => r());
    const ints = Int32Array.from({ length: 60 }, () => Math.floor(r() * 100));
    const pieces = async (
      backend: string,
      values: Float32Array | Int32Array,
      axis: number,
      how: 'unstack' | 'split',
    ) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor(values, shape);
        const parts =
          how === 'unstack' ? tf.unstack(x, axis) : tf.split(x, axis === 0 ? [1, 2] : axis === 1 ? 2 : [1, 3, 1], axis);
        return parts.map((t) => ({ shape: t.shape, values: Array.from(t.dataSync()) }));
      });
    };
    for (const values of [floats, ints])
      for (const axis of [0, 1, 2, -1])
        for (const how of ['unstack', 'split'] as const)
          expect(await pieces('wasm', values, axis, how), `${how} axis ${axis}`).to.deep.equal(
            await pieces('cpu', values, axis, how),
          );
    await tf.setBackend('wasm');
  });

  it('bool tensors (one byte a value in the heap): slice and unstack as the cpu kernels do', async () => {
    const flags = Uint8Array.from({ length: 24 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor(flags, [2, 3, 4], 'bool');
        return [tf.slice(x, [0, 1, 1], [2, 2, 3]), ...tf.unstack(x, 2)].map((t) => Array.from(t.dataSync()));
      });
    };
    expect(await run('wasm')).to.deep.equal(await run('cpu'));
    await tf.setBackend('wasm');
  });

  it('copySlice copies whole trailing dimensions as one run', () => {
    const from = Float32Array.from({ length: 24 }, (_, i) => i);
    const runs: number[] = [];
    const to = { set: (v: ArrayLike<number>) => void runs.push(v.length) };
    copySlice(from, [2, 3, 4], to, [0, 1, 0], [2, 2, 4]);
    expect(runs, 'two runs of 2 whole rows of 4').to.deep.equal([8, 8]);
    runs.length = 0;
    copySlice(from, [2, 3, 4], to, [1, 0, 0], [1, 3, 4]);
    expect(runs, 'one run').to.deep.equal([12]);
  });

  it('leaves no wasm buffer behind', () => {
    const backend = tf.backend();
    const x = tf.tensor(new Float32Array(60), [3, 4, 5]);
    const before = backend.numDataIds();
    for (let k = 0; k < 20; k++) tf.slice(x, [1, 1, 1], [2, 2, 2]).dispose();
    expect(backend.numDataIds()).to.equal(before);
    x.dispose();
  });
});
