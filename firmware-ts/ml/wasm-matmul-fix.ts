import * as tf from '@tensorflow/tfjs';

/**
 * tfjs-backend-wasm's BatchMatMul takes a slow, cache-unfriendly path when
 * transposeA/transposeB is set, and the backward pass of every dense layer and
 * LSTM is made of exactly those products. Transposing the inputs first with
 * the (fast) wasm Transpose kernel and then calling the untransposed kernel
 * gives the same numbers several times faster (measured in docs/models.md).
 *
 * Call once after the wasm backend is ready. Returns false when there is
 * nothing to patch (another backend, or already patched).
 */
let patched = false;

export function patchWasmBatchMatMul(): boolean {
  if (patched || tf.getBackend() !== 'wasm') return false;
  const original = tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  const identity = tf.getKernel('Identity', 'wasm');
  if (!original || !transpose || !identity) return false;
  const originalFunc = original.kernelFunc;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    // No setupFunc: the original one already ran when the backend started.
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return originalFunc({ inputs, backend, attrs });
      const wasmBackend = backend as unknown as { disposeData(dataId: object): void };
      const temporaries: tf.TensorInfo[] = [];
      const fresh = (x: tf.TensorInfo): tf.TensorInfo => {
        const out = identity.kernelFunc({ inputs: { x }, backend, attrs: {} }) as tf.TensorInfo;
        temporaries.push(out);
        return out;
      };
      const swapLastTwo = (x: tf.TensorInfo): tf.TensorInfo => {
        const rank = x.shape.length;
        const perm = [...Array(rank).keys()];
        [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
        const out = transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
        temporaries.push(out);
        return out;
      };
      const a = transposeA ? swapLastTwo(inputs.a as tf.TensorInfo) : inputs.a;
      // The wasm kernel caches XNNPACK's packed copy of `b` by b's data id, not by its
      // shape, and a gradient is often used as `b` under two reshapes (e.g. [B*32, 27]
      // and [B, 864]): the second product would then run on the first one's packing and
      // write out of bounds. A fresh copy gives `b` an id of its own.
      const b = transposeB ? swapLastTwo(inputs.b as tf.TensorInfo) : fresh(inputs.b as tf.TensorInfo);
      try {
        return originalFunc({ inputs: { a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
      } finally {
        for (const t of temporaries) wasmBackend.disposeData(t.dataId);
      }
    },
  });
  patched = true;
  return true;
}

/** Restores the original kernel (used by the test that compares both). */
export function isWasmBatchMatMulPatched(): boolean {
  return patched;
}
