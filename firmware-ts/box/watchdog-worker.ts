import { execFile } from 'node:child_process';
import { parentPort, workerData } from 'node:worker_threads';
import type { WatchdogMessage } from './watchdog.js';

/**
 * The watchdog thread (see watchdog.ts): forwards READY/STOPPING and pings
 * WATCHDOG=1 only while the main thread's heartbeats are recent.
 */
const port = parentPort;
if (!port) throw new Error('watchdog-worker must run in a worker thread');
const { intervalMs } = workerData as { intervalMs: number };
let lastAlive = performance.now();
let complained = false;

function notify(...args: string[]): void {
  execFile('systemd-notify', args, (err) => {
    if (err && !complained) {
      complained = true;
      port!.postMessage(`systemd-notify ${args.join(' ')} failed (${err.message.split('\n')[0]})`);
    }
  });
}

port.on('message', (m: WatchdogMessage) => {
  if (m.type === 'alive') lastAlive = performance.now();
  else if (m.type === 'ready') notify('--ready', `--status=${m.status}`);
  else if (m.type === 'stopping') notify('STOPPING=1');
});

if (intervalMs > 0) {
  setInterval(() => {
    // A main loop silent for a whole ping interval is stuck: stay quiet and let systemd restart us.
    if (performance.now() - lastAlive < intervalMs) notify('WATCHDOG=1');
  }, intervalMs);
}
