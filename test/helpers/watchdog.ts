import { Worker } from 'node:worker_threads';

/**
 * Runs test/helpers/fuzz-worker.js with `job` and resolves with its result;
 * rejects naming the last progress mark when it gives none within `seconds`
 * (a hang, not slowness: callers allow far more than the work needs).
 */
export async function inWorker<T>(job: object, seconds: number): Promise<T> {
  const worker = new Worker(new URL('./fuzz-worker.js', import.meta.url), { workerData: job });
  let lastProgress = 0;
  try {
    return await new Promise<T>((resolve, reject) => {
      const watchdog = setTimeout(
        () =>
          reject(new Error(`the MIDI reader hung: no result after ${seconds} s (last progress mark: ${lastProgress})`)),
        seconds * 1000,
      );
      worker.on('message', (m: { progress?: number; result?: T }) => {
        if (m.progress !== undefined) lastProgress = m.progress;
        if (m.result !== undefined) {
          clearTimeout(watchdog);
          resolve(m.result);
        }
      });
      worker.on('error', (err) => {
        clearTimeout(watchdog);
        reject(err);
      });
    });
  } finally {
    await worker.terminate();
  }
}
