import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Puts the calling thread back to normal scheduling (SCHED_OTHER, nice 0).
 * A thread inherits its creator's policy and nice value, and the main thread
 * may have raised itself to SCHED_FIFO for the MIDI send loop before this
 * worker was (re)started: model inference at real-time priority could then
 * starve everything else on the core. Linux only; elsewhere a no-op.
 */
export function normalThreadPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    // /proc/thread-self -> "<pid>/task/<tid>": the kernel id of this very thread.
    const tid = fs.readlinkSync('/proc/thread-self').split('/').pop();
    const policy = spawnSync('chrt', ['-p', String(tid)], { encoding: 'utf8' });
    if (policy.status === 0 && !/SCHED_OTHER/.test(policy.stdout)) spawnSync('chrt', ['-o', '-p', '0', String(tid)]);
    // setpriority(PRIO_PROCESS, 0) acts on the calling thread on Linux; raising nice needs no privilege.
    if (getPriority(0) < 0) setPriority(0, 0);
  } catch {
    // Best effort: without chrt or /proc the thread keeps what it inherited.
  }
}
