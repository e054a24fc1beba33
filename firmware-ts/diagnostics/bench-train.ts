/**
 * Training speed per model config and backend (issue 3, section 6): median step
 * time and sequences/s, each backend in its own worker thread, one after the other
 * (never at the same time: they would share the cores). Used by `groovebox bench train`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TrainBenchJob, TrainBenchRow } from './bench-train-worker.js';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bench-train-worker.js');

export function runTrainBench(job: TrainBenchJob): Promise<TrainBenchRow[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: job });
    worker.once('message', (msg: { rows?: TrainBenchRow[]; error?: string }) => {
      void worker.terminate();
      if (msg.rows) resolve(msg.rows);
      else reject(new Error(`bench train on ${job.backend}: ${msg.error}`));
    });
    worker.once('error', reject);
  });
}

export type { TrainBenchJob, TrainBenchRow };
