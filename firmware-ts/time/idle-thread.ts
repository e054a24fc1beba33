import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Gap } from './stall-witness.js';

const WORKER_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'idle-thread-worker.js');

/**
 * A thread beside the timing thread, at the same priority, doing nothing but
 * a 1 ms tick: when it is held too, at the same moment, the machine held both
 * (see stall-witness.ts). On two vCPUs it may sit on the other one, so it
 * misses some of the machine's stalls: a lower bound, never a false alarm.
 */
export class IdleThread {
  readonly #worker: Worker;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  static start(options: { realtime: number | false; thresholdMs: number }): IdleThread {
    return new IdleThread(new Worker(WORKER_FILE, { workerData: options }));
  }

  /** Its gaps since the last take. */
  take(): Promise<Gap[]> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.#worker.once('error', onError);
      this.#worker.once('message', (message: { gaps: Gap[] }) => {
        this.#worker.off('error', onError);
        resolve(message.gaps);
      });
      this.#worker.postMessage({ type: 'take' });
    });
  }

  async stop(): Promise<void> {
    await this.#worker.terminate();
  }
}
