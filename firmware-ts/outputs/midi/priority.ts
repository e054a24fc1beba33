import { spawnSync } from 'node:child_process';
import { getPriority, setPriority } from 'node:os';

export interface TimingPriority {
  /** nice value of the main thread afterwards. */
  nice: number;
  /** SCHED_FIFO priority if real-time scheduling took, else null. */
  realtime: number | null;
}

/**
 * Gives the main thread, where the MIDI send loop runs, precedence over the
 * rest of the machine. Measured on the 2-core build machine under load: a
 * sleeping thread at normal priority is woken several ms late many times a
 * second, nice -10 barely helps, SCHED_FIFO brings the p99 send error from
 * ~10 ms to ~0.1 ms. Only the *calling thread* is changed (on Linux nice and
 * policy are per thread; the main thread's tid is the pid), so call it after
 * starting worker threads — a new thread inherits its creator's settings and
 * model inference must keep its normal priority. Needs root or CAP_SYS_NICE;
 * without them it says so once and carries on.
 */
export function raiseTimingPriority(
  options: { nice?: number; realtime?: number | false } = {},
  log: (message: string) => void = (m) => process.stderr.write(`groovebox:midi ${m}\n`),
): TimingPriority {
  const nice = options.nice ?? -10;
  const realtime = options.realtime ?? 50;
  if (nice < getPriority(0)) {
    try {
      setPriority(0, nice);
    } catch (error) {
      log(`cannot raise the MIDI thread's priority to nice ${nice} (${(error as Error).message})`);
    }
  }
  let fifo: number | null = null;
  if (realtime !== false && realtime > 0 && process.platform === 'linux') {
    if (!(Number.isInteger(realtime) && realtime <= 99)) throw new RangeError(`realtime: expected an integer SCHED_FIFO priority 1..99, got ${realtime}`);
    // Node has no sched_setscheduler; util-linux chrt applies it to one tid (the pid = the main thread).
    const result = spawnSync('chrt', ['-f', '-p', String(realtime), String(process.pid)], { encoding: 'utf8' });
    if (result.status === 0) fifo = realtime;
    else log(`cannot switch the MIDI thread to real-time scheduling (${(result.stderr || result.error?.message || 'chrt failed').trim()}); timing will suffer when the CPU is busy`);
  }
  return { nice: getPriority(0), realtime: fifo };
}
