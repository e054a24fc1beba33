import { expect } from 'chai';
import { initBackend, loadWasm, tf } from '../../firmware-ts/ml/runtime.js';

/**
 * Puts this test file on the wasm backend, whatever backend the run chose (the kernel fixes are checked on wasm);
 * returns the way back to the run's backend, for `after`.
 */
export async function onWasmBackend(): Promise<() => Promise<void>> {
  await initBackend();
  const original = tf.getBackend();
  if (!tf.findBackend('wasm')) await loadWasm();
  expect(await tf.setBackend('wasm'), 'wasm backend starts').to.equal(true);
  return async () => {
    await tf.setBackend(original);
  };
}
