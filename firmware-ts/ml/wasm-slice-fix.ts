import * as tf from '@tensorflow/tfjs';

/**
 * tfjs-backend-wasm's Slice kernel (and Unpack and SplitV, which are made of it) first copies
 * its *whole* input out of the wasm heap into a fresh JS array, then copies the slice back in.
 * Unstacking a [batch, 32, features] sequence into its 32 steps, or splitting an LSTM's gates,
 * therefore copies the whole tensor once per piece. Those fresh arrays are large enough that
 * the C library maps new pages for each and unmaps them when they are collected, so training
 * spent much of its time in the kernel zeroing pages (docs/performance-history.md has the
 * measurement).
 *
 * These kernels copy straight from the input's place in the heap to the output's, one run
 * of contiguous values at a time.
 *
 * Call once after the wasm backend is ready. Returns false when there is nothing to patch
 * (another backend, or already patched).
 */
let patched = false;

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

export function patchWasmSlice(): boolean {
  if (patched || tf.getBackend() !== 'wasm') return false;
  const originals = (['Slice', 'Unpack', 'SplitV'] as const).map((name) => tf.getKernel(name, 'wasm'));
  if (originals.some((k) => !k)) return false;
  const [slice, unpack, splitV] = originals.map((k) => k!.kernelFunc);
  const replace = (kernelName: string, kernelFunc: tf.KernelFunc) => {
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  };
  // Strings do not live in the heap: the originals handle them.
  replace('Slice', (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return slice(args);
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
    const [start, extent] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    return heapSlice(args.backend as unknown as WasmHeapBackend, x, start, extent);
  });
  // Unstack and split slice through the backend's own Slice function, not the kernel registry.
  replace('Unpack', (args) => {
    const value = args.inputs.value as tf.TensorInfo;
    if (value.dtype === 'string') return unpack(args);
    const rank = value.shape.length;
    const axis = ((args.attrs as unknown as { axis: number }).axis + rank) % rank;
    const extent = value.shape.slice();
    extent[axis] = 1;
    const outShape = value.shape.filter((_, d) => d !== axis);
    return Array.from({ length: value.shape[axis] }, (_, i) => {
      const start = value.shape.map((_, d) => (d === axis ? i : 0));
      const out = heapSlice(args.backend as unknown as WasmHeapBackend, value, start, extent);
      return { ...out, shape: outShape };
    });
  });
  replace('SplitV', (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return splitV(args);
    const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const along = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, along);
    const start = new Array<number>(x.shape.length).fill(0);
    return sizes.map((n) => {
      const extent = x.shape.slice();
      extent[along] = n;
      const out = heapSlice(args.backend as unknown as WasmHeapBackend, x, start.slice(), extent);
      start[along] += n;
      return out;
    });
  });
  patched = true;
  return true;
}

/** A new heap tensor holding the block `start`..`start + extent` of `x`. */
function heapSlice(backend: WasmHeapBackend, x: tf.TensorInfo, start: number[], extent: number[]): tf.TensorInfo {
  // Allocated before any view is taken: growing the wasm memory detaches earlier views.
  const out = backend.makeOutput(extent, x.dtype);
  if (extent.some((n) => n === 0)) return out;
  copySlice(backend.typedArrayFromHeap(x), x.shape, backend.typedArrayFromHeap(out), start, extent);
  return out;
}

export function isWasmSlicePatched(): boolean {
  return patched;
}

/**
 * Copies the block `start`..`start + extent` of `from` (row-major, `shape`) into `to`. Trailing
 * dimensions taken whole are one contiguous run with the first dimension that is cut, so a
 * slice of whole rows is a single copy.
 */
export function copySlice(
  from: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> },
  shape: readonly number[],
  to: { set(values: ArrayLike<number>, offset: number): void },
  start: readonly number[],
  extent: readonly number[],
): void {
  const rank = shape.length;
  if (rank === 0) {
    to.set(from.subarray(0, 1), 0);
    return;
  }
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1];
  // The run: dimension `inner` (the last one cut, or 0) and every whole dimension after it.
  let inner = rank - 1;
  while (inner > 0 && extent[inner] === shape[inner]) inner--;
  const run = extent[inner] * strides[inner];
  let rows = 1;
  for (let d = 0; d < inner; d++) rows *= extent[d];
  const index = new Array<number>(inner).fill(0);
  for (let row = 0; row < rows; row++) {
    let at = start[inner] * strides[inner];
    for (let d = 0; d < inner; d++) at += (start[d] + index[d]) * strides[d];
    to.set(from.subarray(at, at + run), row * run);
    // The next row: count up the outer indices like an odometer.
    for (let d = inner - 1; d >= 0; d--) {
      if (++index[d] < extent[d]) break;
      index[d] = 0;
    }
  }
}
