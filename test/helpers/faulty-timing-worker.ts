import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { ListedFakeMidiPort } from '../../firmware-ts/outputs/midi/fake-midi-port.js';
import { MidiPortError } from '../../firmware-ts/outputs/midi/midi-port.js';
import { runTimingThread } from '../../firmware-ts/outputs/midi/timing-thread-main.js';
import type { TimingThreadConfig } from '../../firmware-ts/outputs/midi/timing-protocol.js';

/**
 * A MIDI timing thread with the faults a test asks for, so the product's
 * protocol carries no test switch. The faults (the entry's data) are for the
 * first thread only: a restarted thread runs clean.
 */
export interface TimingFaults {
  /** After this many sends the thread throws from a timer, as a real fault would. */
  crashAfterSends?: number;
  /** After this many sends the thread spins forever (it says so in a log line first: the test then steps its looks). */
  hangAfterSends?: number;
  /**
   * After this many sends the fake port goes the way RtMidi's does when its cable is pulled (sends vanish,
   * the port leaves the system's list) and comes back `seconds` later.
   */
  outage?: { afterSends: number; seconds: number };
}

export const FAULTY_TIMING_WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'faulty-timing-worker.js');
export const HANGING_NOW = 'test entry: hanging now';

if (parentPort) {
  const config = workerData as TimingThreadConfig;
  const firstThread = !config.releaseOnConnect;
  const faults = (config.entryData ?? {}) as TimingFaults;
  const { outage } = faults;
  const pulled = outage && config.port.kind === 'fake' ? new ListedFakeMidiPort(config.port.name) : null;
  const port = parentPort;
  runTimingThread({
    openPort: (_spec) => {
      if (!pulled) return null;
      return async () => {
        if (!pulled.present()) throw new MidiPortError(`no MIDI output named "${pulled.name}"`, { disconnected: true });
        pulled.reset();
        return pulled;
      };
    },
    afterSend: (sends) => {
      if (firstThread && sends === faults.crashAfterSends)
        setTimeout(() => {
          throw new Error(`crash after ${sends} sends, as the test asked`);
        });
      if (firstThread && sends === faults.hangAfterSends) {
        setTimeout(() => {
          port.postMessage({ type: 'log', message: HANGING_NOW });
          for (;;);
        });
      }
      if (pulled && outage && sends === outage.afterSends) {
        pulled.vanish();
        setTimeout(() => pulled.reappear(), outage.seconds * 1000);
      }
    },
  });
}
