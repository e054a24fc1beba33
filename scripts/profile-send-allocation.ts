/**
 * Where the MIDI send path allocates: a MidiOut in precise mode (the timing
 * thread's) fed by a Sequencer at 120 BPM with a kick/hat pattern and MIDI
 * clock, events crossing in structured-cloned batches as they do between the
 * threads; V8's sampling heap profiler, counting objects already collected
 * too, for `seconds`. Prints MB/s in all and the top allocating functions.
 *
 * With --retained, only what is still on the heap at the end is counted:
 * live objects and garbage promoted to the old generation that no full
 * collection has freed yet (what grows a heap between full collections).
 *
 *   node dist/scripts/profile-send-allocation.js [--seconds 8] [--retained]
 */
import inspector from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { SilentPort } from '../firmware-ts/outputs/midi/fake-midi-port.js';
import { MidiOut } from '../firmware-ts/outputs/midi/midi-out.js';
import { Pattern } from '../firmware-ts/pattern/pattern.js';
import type { SequencerEvent } from '../firmware-ts/sequencer/events.js';
import { Sequencer } from '../firmware-ts/sequencer/sequencer.js';
import { SystemClock } from '../firmware-ts/time/clock.js';
import { allocationSites, type ProfileNode } from './allocation-sites.js';

const { values } = parseArgs({ options: { seconds: { type: 'string' }, retained: { type: 'boolean' } } });
const collectedToo = !values.retained;
const seconds = Number(values.seconds ?? 8);
if (!(seconds > 0)) throw new Error(`--seconds: expected a positive number, got "${values.seconds}"`);

const clock = new SystemClock();
const out = new MidiOut({ clock, open: async () => new SilentPort('profile'), sendClock: true, noteLength: 0.05, precise: true, log: () => {} });
await out.connect();
const pattern = new Pattern();
for (let step = 0; step < 32; step++) for (const drum of [0, 2]) pattern.set(step, drum, 0.8, 0.01 * ((step % 3) - 1));
const sequencer = new Sequencer({ clock, bpm: 120, pattern });
let batch: SequencerEvent[] = [];
sequencer.on((event) => {
  if (batch.length === 0) {
    setTimeout(() => {
      const events = structuredClone(batch);
      batch = [];
      for (const e of events) out.handle(e);
    }, 0);
  }
  batch.push(event);
});
sequencer.start();
await new Promise((r) => setTimeout(r, 2000)); // past start-up and compilation

const session = new inspector.Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: collectedToo, includeObjectsCollectedByMinorGC: collectedToo } as never);
await new Promise((r) => setTimeout(r, seconds * 1000));
const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };
sequencer.stop();
out.close();

const bySite = allocationSites(profile.head);
const mbPerSecond = (bytes: number) => (bytes / 2 ** 20 / seconds).toFixed(3);
const total = [...bySite.values()].reduce((a, b) => a + b, 0);
process.stdout.write(`${collectedToo ? 'allocated' : 'still on the heap:'} ${mbPerSecond(total)} MB/s (sampled over ${seconds} s)\n`);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 10)) process.stdout.write(`  ${mbPerSecond(bytes)} MB/s  ${site}\n`);
process.exit(0);
