import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Log } from '../support/log.js';

const WORKER_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'watchdog-worker.js');

/** Messages to the watchdog thread. */
export type WatchdogMessage = { type: 'alive' } | { type: 'ready'; status: string } | { type: 'stopping' };

/**
 * systemd's notify protocol without a native module. Node cannot send to a
 * unix datagram socket, so the messages go through `systemd-notify`, a child
 * process (the unit sets NotifyAccess=all so systemd takes them from it).
 * Spawning forks the process, which may hold a thread for milliseconds: it
 * happens on a worker thread, never on the thread that sends MIDI. The main
 * thread only posts "alive" from its event loop; the worker pings systemd
 * only while those keep coming, so a stuck main loop stops the pings and
 * systemd restarts the box (WatchdogSec in the unit).
 */
export class SystemdWatchdog {
  readonly #worker: Worker;
  readonly #timer: NodeJS.Timeout;

  private constructor(intervalMs: number, log: Log) {
    this.#worker = new Worker(WORKER_FILE, { workerData: { intervalMs } });
    this.#worker.on('message', (m: string) => log.warn(m));
    this.#worker.on('error', (err) =>
      log.warn(`watchdog thread failed (${err.message}); systemd will restart the box when WatchdogSec runs out`),
    );
    this.#worker.unref();
    // Four heartbeats per ping interval: one late timer must not count as a hang.
    this.#timer = setInterval(() => this.#post({ type: 'alive' }), Math.max(50, intervalMs / 4));
    this.#timer.unref();
    this.#post({ type: 'alive' });
  }

  /**
   * Starts when systemd asked for notifications (NOTIFY_SOCKET); with
   * WATCHDOG_USEC it also pings at half that interval. Returns null outside systemd.
   */
  static fromEnvironment(log: Log, env: NodeJS.ProcessEnv = process.env): SystemdWatchdog | null {
    if (!env.NOTIFY_SOCKET) return null;
    const usec = Number(env.WATCHDOG_USEC);
    const pid = Number(env.WATCHDOG_PID);
    const watchdog = Number.isFinite(usec) && usec > 0 && (!env.WATCHDOG_PID || pid === process.pid);
    // Without a watchdog the thread only forwards READY/STOPPING; the interval is then irrelevant.
    const intervalMs = watchdog ? usec / 1000 / 2 : 0;
    if (watchdog) log.info(`systemd watchdog: pinging every ${Math.round(intervalMs)} ms while the main loop runs`);
    return new SystemdWatchdog(intervalMs, log);
  }

  ready(status: string): void {
    this.#post({ type: 'ready', status });
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#post({ type: 'stopping' });
    // Give the worker a moment to spawn STOPPING=1, but never hold up the exit for it.
    await new Promise((resolve) => setTimeout(resolve, 20).unref());
    await this.#worker.terminate();
  }

  #post(message: WatchdogMessage): void {
    this.#worker.postMessage(message);
  }
}
