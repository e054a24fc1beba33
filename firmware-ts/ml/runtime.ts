import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_NAMES as BACKENDS, type BackendName } from './backend-names.js';
import { patchWasmBatchMatMul } from './wasm-matmul-fix.js';
import { patchWasmSlice } from './wasm-slice-fix.js';

export type { BackendName };

let chosen: Promise<BackendName> | null = null;

/**
 * Chooses the tfjs backend once per thread: @tensorflow/tfjs-node where it
 * installed (an optional dependency: its install downloads libtensorflow),
 * else WebAssembly (SIMD, one thread), else plain JS `cpu`.
 * `prefer` (or $GROOVEBOX_BACKEND) forces one.
 */
export function initBackend(prefer?: string, log: (msg: string) => void = () => {}): Promise<BackendName> {
  chosen ??= choose(prefer ?? process.env.GROOVEBOX_BACKEND, log);
  return chosen;
}

async function choose(prefer: string | undefined, log: (msg: string) => void): Promise<BackendName> {
  if (prefer !== undefined && prefer !== '' && !BACKENDS.includes(prefer as BackendName)) {
    throw new Error(`backend "${prefer}": expected one of ${BACKENDS.join(', ')}`);
  }
  const order = prefer ? [prefer as BackendName] : BACKENDS;
  const failures: string[] = [];
  for (const name of order) {
    try {
      if (name === 'tensorflow') await loadNode();
      if (name === 'wasm') await loadWasm();
      if (!(await tf.setBackend(name))) throw new Error('setBackend refused');
      await tf.ready();
      if (name === 'wasm') {
        patchWasmBatchMatMul();
        patchWasmSlice();
      }
      log(`groovebox:ml backend ${name}${failures.length ? ` (not available: ${failures.join('; ')})` : ''}`);
      return name;
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no tfjs backend could start (${failures.join('; ')})`);
}

async function loadNode(): Promise<void> {
  // A bare specifier through a variable keeps tsc from requiring its types.
  const name = '@tensorflow/tfjs-node';
  await import(name);
}

/** Loads the wasm backend's module (its binary from node_modules, one thread); `tf.setBackend('wasm')` starts it. */
export async function loadWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(dir + path.sep);
  wasm.setThreadsCount?.(1);
}

export { tf };

/**
 * Bytes of WebAssembly linear memory the wasm backend holds on this thread
 * (null on other backends). Wasm memory only ever grows, so a soak watches it.
 */
export function wasmHeapBytes(): number | null {
  if (tf.getBackend() !== 'wasm') return null;
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap ? heap.byteLength : null;
}
