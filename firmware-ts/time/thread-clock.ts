import type { Seconds } from './clock.js';

/** process.hrtime in milliseconds: one clock for every thread of the process. */
export function hrNowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * process.hrtime minus performance.now(), in seconds, on the calling thread.
 * Each thread's performance.now() has its own origin (its start); hrtime is
 * one monotonic clock for the whole process. Two threads that each know this
 * offset convert times exactly: t_other = t_mine + mine - other. Read a few
 * times, keeping the pair read closest together, since the first call of
 * either clock on a thread can be milliseconds slow.
 */
export function hrMinusPerf(): Seconds {
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < 5; i++) {
    const before = performance.now();
    const hr = hrNowMs();
    const after = performance.now();
    if (after - before < best) {
      best = after - before;
      offset = (hr - (before + after) / 2) / 1000;
    }
  }
  return offset;
}
