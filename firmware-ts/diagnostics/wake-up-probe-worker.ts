import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { GapLog } from './stall-witness.js';
import { raiseThreadPriority } from '../time/thread-priority.js';

/** See wake-up-probe.ts: a thread at the timing thread's priority that does nothing but wake up. */
const port = parentPort;
if (!port) throw new Error('wake-up-probe-worker must run in a worker thread');
const { seconds, realtime } = workerData as { seconds: number; realtime: number | false };
const priority = raiseThreadPriority({ realtime }, () => {});
const delay = monitorEventLoopDelay({ resolution: 1 });
// A 1 ms tick, like the monitor's own, counts the wake-ups more than 5 ms late; from the second second on.
let late: GapLog | null = null;
const tick = setInterval(() => late?.tick(performance.now()), 1);
// The first second (module loading, the chrt child, compiling) is not the steady state.
setTimeout(() => {
  delay.enable();
  late = new GapLog({ thresholdMs: 5 });
  setTimeout(() => {
    clearInterval(tick);
    delay.disable();
    const over5 = late!.take();
    port.postMessage({
      realtime: priority.realtime,
      maxMs: delay.max / 1e6,
      p99Ms: delay.percentile(99) / 1e6,
      p50Ms: delay.percentile(50) / 1e6,
      over5ms: over5.gaps.length + over5.dropped,
    });
  }, seconds * 1000);
}, 1000);
