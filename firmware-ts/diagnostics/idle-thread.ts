import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Witnessed } from './stall-witness.js';

const WORKER_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'idle-thread-worker.js');

interface Reply {
  witnessed: Witnessed;
  realtime: number | null;
  problems: string[];
}

/**
 * A thread beside the timing thread, at the same priority, doing nothing but
 * a 1 ms tick: when it is held too, at the same moment, the machine held both
 * (see stall-witness.ts). Its own GC pauses come with its gaps, so a gap of
 * its own making is not taken for the machine's. On two vCPUs it may sit on
 * the other one and miss some of the machine's stalls: a lower bound.
 */
export class IdleThread {
  readonly #worker: Worker;
  #down: Error | null = null;
  #waiting: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | null = null;
  /** SCHED_FIFO priority it runs at (null: normal), as last reported. */
  realtime: number | null = null;

  private constructor(worker: Worker, log: (message: string) => void) {
    this.#worker = worker;
    worker.on('message', (reply: Reply) => {
      this.realtime = reply.realtime;
      for (const problem of reply.problems) log(`idle thread: ${problem}`);
      this.#waiting?.resolve(reply);
      this.#waiting = null;
    });
    const fail = (error: Error) => {
      this.#down ??= error;
      this.#waiting?.reject(error);
      this.#waiting = null;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`idle thread exited with code ${code}`)));
  }

  static start(options: {
    realtime: number | false;
    thresholdMs: number;
    log?: (message: string) => void;
  }): IdleThread {
    const { realtime, thresholdMs } = options;
    return new IdleThread(
      new Worker(WORKER_FILE, { workerData: { realtime, thresholdMs } }),
      options.log ?? (() => {}),
    );
  }

  /** What it witnessed since the last take; rejects once the thread is gone. */
  async take(): Promise<Witnessed> {
    if (this.#down) throw this.#down;
    if (this.#waiting) throw new Error('idle thread: one take at a time');
    const reply = await new Promise<Reply>((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#worker.postMessage({ type: 'take' });
    });
    return reply.witnessed;
  }

  async stop(): Promise<void> {
    this.#down ??= new Error('idle thread: stopped');
    await this.#worker.terminate();
  }
}
