// The two-thread training step: a gradient worker on the second core computes half of every batch.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { tf } from '../ml/runtime.js';
import type { ModelConfig } from '../model/config.js';
import type { Params } from '../model/params.js';
import type { Adam } from './adam.js';
import { batchGradients, type Split } from './batch.js';
import type { GradientReply, GradientRequest, GradientWorkerData } from './gradient-worker.js';

/**
 * One optimisation step on two threads: the helper computes the second half of
 * the batch's gradients on the other core while this thread computes the first.
 */
export async function trainStepOnTwoThreads(
  params: Params,
  adam: Adam,
  config: ModelConfig,
  set: Split,
  indices: Uint32Array,
  seed: number,
  learningRate: number,
  helper: GradientHelper,
): Promise<Record<string, number>> {
  const half = Math.ceil(indices.length / 2);
  const theirs = helper.gradients(params, indices.slice(half), seed + 1);
  const mine = batchGradients(params, config, set, indices.subarray(0, half), seed);
  const other = await theirs;
  // The loss is a mean over examples: the halves are weighted by their sizes.
  const wMine = half / indices.length;
  const wOther = 1 - wMine;
  const combined: Record<string, tf.Tensor> = {};
  let at = 0;
  for (const [name, p] of params) {
    combined[name] = tf.tidy(() =>
      tf.add(
        tf.mul(mine.grads[name], wMine),
        tf.mul(tf.tensor(other.gradients.subarray(at, at + p.size), p.shape), wOther),
      ),
    );
    at += p.size;
  }
  tf.dispose(Object.values(mine.grads));
  adam.apply(params, combined, learningRate, config.train.clipNorm);
  tf.dispose(Object.values(combined));
  return Object.fromEntries(Object.keys(mine.parts).map((k) => [k, mine.parts[k] * wMine + other.parts[k] * wOther]));
}

/** The worker thread that computes half of each batch's gradients (gradient-worker.ts). */
export class GradientHelper {
  readonly #worker: Worker;
  /** The worker's live tensors after its last step. */
  workerTensors = 0;
  #pending: { resolve: (r: GradientReply) => void; reject: (e: Error) => void } | null = null;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (msg: GradientReply) => {
      this.workerTensors = msg.tensors;
      const p = this.#pending;
      this.#pending = null;
      p?.resolve(msg);
    });
    worker.on('error', (err) => {
      const p = this.#pending;
      this.#pending = null;
      p?.reject(err);
    });
  }

  static start(config: ModelConfig, backend: string, set: Split): Promise<GradientHelper> {
    const data: GradientWorkerData = { config, backend, set };
    const worker = new Worker(GRADIENT_WORKER_FILE, { workerData: data });
    return new Promise((resolve, reject) => {
      worker.once('message', () => resolve(new GradientHelper(worker)));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the gradient worker exited (code ${code}) before it was ready`)));
    });
  }

  gradients(params: Params, indices: Uint32Array, seed: number): Promise<GradientReply> {
    if (this.#pending) throw new Error('GradientHelper: one request at a time');
    let size = 0;
    for (const p of params.values()) size += p.size;
    const weights = new Float32Array(size);
    let at = 0;
    for (const p of params.values()) {
      weights.set(p.dataSync(), at);
      at += p.size;
    }
    const request: GradientRequest = { weights, indices: Uint32Array.from(indices), seed };
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#worker.postMessage(request, [weights.buffer]);
    });
  }

  async stop(): Promise<void> {
    this.#worker.postMessage('stop');
    await new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
  }
}

const GRADIENT_WORKER_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'gradient-worker.js');
