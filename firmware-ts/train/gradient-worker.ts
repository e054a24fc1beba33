import { parentPort, workerData } from 'node:worker_threads';
import { initBackend, tf } from '../ml/runtime.js';
import type { ModelConfig } from '../model/config.js';
import { initParams } from '../model/params.js';
import { batchGradients, type Split } from './batch.js';

/**
 * The second core's half of every training step: its own tfjs backend (wasm
 * runs one thread per backend), the training split copied in once, and per
 * step the current weights in, the gradients of its half of the batch out.
 */
export interface GradientWorkerData {
  config: ModelConfig;
  backend: string;
  set: Split;
}

export interface GradientRequest {
  weights: Float32Array;
  indices: Uint32Array;
  seed: number;
}

export interface GradientReply {
  gradients: Float32Array;
  parts: Record<string, number>;
  /** The worker's live tensors after the step (a leak test watches it). */
  tensors: number;
}

const port = parentPort;
if (!port) throw new Error('gradient-worker must run in a worker thread');
const data = workerData as GradientWorkerData;

await initBackend(data.backend);
const params = initParams(data.config, 0);
port.on('message', (msg: GradientRequest | 'stop') => {
  if (msg === 'stop') {
    tf.dispose([...params.values()]);
    port.close();
    return;
  }
  let at = 0;
  for (const p of params.values()) {
    // The values tensor is a copy the variable does not keep: without tidy, each step would leak the weights once.
    tf.tidy(() => p.assign(tf.tensor(msg.weights.subarray(at, at + p.size), p.shape)));
    at += p.size;
  }
  const { grads, parts } = batchGradients(params, data.config, data.set, msg.indices, msg.seed);
  const gradients = new Float32Array(at);
  at = 0;
  for (const name of params.keys()) {
    gradients.set(grads[name].dataSync(), at);
    at += grads[name].size;
  }
  tf.dispose(Object.values(grads));
  const reply: GradientReply = { gradients, parts, tensors: tf.memory().numTensors };
  port.postMessage(reply, [gradients.buffer]);
});
port.postMessage('ready');
