import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Scheduling of one thread. On Linux nice value and policy belong to a
 * thread, not the process, and a new thread inherits its creator's. The box
 * has one real-time thread, the MIDI timing thread; everything else, model
 * inference above all, runs at normal priority. Node has no
 * sched_setscheduler, so util-linux `chrt` applies the policy to a thread id.
 */

/** SCHED_FIFO priority of the MIDI timing thread (and of threads measured beside it); the unit's LimitRTPRIO. */
export const TIMING_THREAD_PRIORITY = 50;

export interface ThreadPriority {
  /** nice value of the thread afterwards. */
  nice: number;
  /** SCHED_FIFO priority if real-time scheduling took, else null. */
  realtime: number | null;
}

/** The kernel id of the calling thread (the pid on the main thread), or null off Linux. */
export function currentThreadId(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    // /proc/thread-self -> "<pid>/task/<tid>"
    return Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return null;
  }
}

/**
 * Gives the calling thread precedence over the rest of the machine. On a
 * busy machine a sleeping thread at normal priority is woken late many times
 * a second and a nice value barely helps; SCHED_FIFO is what keeps the MIDI
 * send error small (docs/performance-history.md). Needs root or CAP_SYS_NICE (the unit grants LimitRTPRIO); without
 * them it says so once and carries on.
 */
export function raiseThreadPriority(
  options: { nice?: number; realtime?: number | false } = {},
  log: (message: string) => void = (m) => process.stderr.write(`groovebox:timing ${m}\n`),
): ThreadPriority {
  const nice = options.nice ?? -10;
  const realtime = options.realtime ?? TIMING_THREAD_PRIORITY;
  if (nice < getPriority(0)) {
    try {
      setPriority(0, nice); // PRIO_PROCESS 0 acts on the calling thread on Linux
    } catch (error) {
      log(`cannot raise the timing thread's priority to nice ${nice} (${(error as Error).message})`);
    }
  }
  let fifo: number | null = null;
  const tid = currentThreadId();
  if (realtime !== false && realtime > 0 && tid !== null) {
    if (!(Number.isInteger(realtime) && realtime <= 99))
      throw new RangeError(`realtime: expected an integer SCHED_FIFO priority 1..99, got ${realtime}`);
    const result = spawnSync('chrt', ['-f', '-p', String(realtime), String(tid)], { encoding: 'utf8' });
    if (result.status === 0) fifo = realtime;
    else
      log(
        `cannot switch the timing thread to real-time scheduling (${(result.stderr || result.error?.message || 'chrt failed').trim()}); timing will suffer when the CPU is busy`,
      );
  }
  return { nice: getPriority(0), realtime: fifo };
}

/**
 * Puts the calling thread back to normal scheduling (SCHED_OTHER, nice 0):
 * a worker started by a real-time thread would otherwise run inference at
 * real-time priority and starve the rest of its core. Best effort.
 */
export function normalThreadPriority(): void {
  const tid = currentThreadId();
  if (tid === null) return;
  try {
    const policy = spawnSync('chrt', ['-p', String(tid)], { encoding: 'utf8' });
    if (policy.status === 0 && !/SCHED_OTHER/.test(policy.stdout)) spawnSync('chrt', ['-o', '-p', '0', String(tid)]);
    if (getPriority(0) < 0) setPriority(0, 0); // raising nice needs no privilege
  } catch {
    // without chrt the thread keeps what it inherited
  }
}
