import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { raiseThreadPriority } from './thread-priority.js';

/** See wake-up-probe.ts: a thread at the timing thread's priority that does nothing but wake up. */
const port = parentPort;
if (!port) throw new Error('wake-up-probe-worker must run in a worker thread');
const { seconds, realtime } = workerData as { seconds: number; realtime: number | false };
const priority = raiseThreadPriority({ realtime }, () => {});
const delay = monitorEventLoopDelay({ resolution: 1 });
let over5 = 0;
let last = 0;
// A 1 ms tick, like the monitor's own: counts the wake-ups more than 5 ms late.
const tick = setInterval(() => {
  const now = performance.now();
  if (last > 0 && now - last > 6) over5++;
  last = now;
}, 1);
// The first second (module loading, the chrt child, compiling) is not the steady state.
setTimeout(() => {
  delay.enable();
  last = 0;
  setTimeout(() => {
    clearInterval(tick);
    delay.disable();
    port.postMessage({ realtime: priority.realtime, maxMs: delay.max / 1e6, p99Ms: delay.percentile(99) / 1e6, p50Ms: delay.percentile(50) / 1e6, over5ms: over5 });
  }, seconds * 1000);
}, 1000);
