import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { stolenMs } from './steal.js';
import { TIMING_THREAD_PRIORITY } from '../time/thread-priority.js';

const WORKER_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'wake-up-probe-worker.js');

export interface WakeUpFloor {
  seconds: number;
  realtime: number | null;
  /** How late the idle thread woke up (event-loop delay of a 1 ms timer). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Wake-ups more than 5 ms late. */
  over5ms: number;
  /** CPU time stolen by the hypervisor meanwhile (all CPUs), null off Linux. */
  stolenMs: number | null;
}

/**
 * The machine's floor for the timing thread's stalls: a thread at the same
 * priority doing nothing at all. Whatever it suffers (hypervisor steal, the
 * kernel, timer slack) no code of ours can beat, so the soak's stall figure
 * is read against it.
 */
export async function measureWakeUpFloor(
  seconds: number,
  realtime: number | false = TIMING_THREAD_PRIORITY,
): Promise<WakeUpFloor> {
  const stealBefore = stolenMs();
  const worker = new Worker(WORKER_FILE, { workerData: { seconds, realtime } });
  const result = await new Promise<Omit<WakeUpFloor, 'seconds' | 'stolenMs'>>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  const stealAfter = stolenMs();
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    seconds,
    realtime: result.realtime,
    p50Ms: round(result.p50Ms),
    p99Ms: round(result.p99Ms),
    maxMs: round(result.maxMs),
    over5ms: result.over5ms,
    stolenMs: stealBefore === null || stealAfter === null ? null : stealAfter - stealBefore,
  };
}
