/**
 * Where the MIDI timing thread allocates, and how fast its old generation
 * fills, measured inside that thread as the box runs it: the same worker
 * with the same heap limits, events arriving in structured-cloned
 * batches from a Sequencer on the main thread (120 BPM; kick, snare and hat
 * on every 16th with microtiming; MIDI clock), a fake port.
 *
 *   node --single-threaded-gc dist/scripts/profile-timing-thread.js [--seconds 60] [--mode allocated|retained|none] [--witness] [--count-gc] [--dense]
 *
 * --mode allocated  every allocation, collected or not: the garbage rate and where it comes from
 * --mode retained   what is still on the heap at the end: live objects and garbage promoted
 *                   to the old generation that no full collection has freed yet
 * --mode none       no sampler (it allocates too): only the old generation's growth
 * --witness         with the soak's stall witness on the thread (see time/stall-witness.ts)
 * --count-gc        count collections; observing them allocates, so the fill rate is
 *                   then higher than the box's
 * --dense           all nine drums and a new pattern every bar (the box generating), instead
 *                   of kick, snare and hat
 *
 * The fill rate is the sum of the rises between 5-s readings of old_space
 * over the time they span: what full collections free is not subtracted
 * (a collection inside one interval still hides that interval's rise, so it
 * is a lower bound).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NOTE_MAP_PRESETS } from '../firmware-ts/outputs/midi/note-map.js';
import { MidiThread } from '../firmware-ts/outputs/midi/timing-thread.js';
import { Pattern } from '../firmware-ts/pattern/pattern.js';
import { Sequencer } from '../firmware-ts/sequencer/sequencer.js';
import { SystemClock } from '../firmware-ts/time/clock.js';
import type { ProfileMode, TimingProfile } from './profiled-timing-worker.js';

const MODES: ProfileMode[] = ['allocated', 'retained', 'none'];
const { values } = parseArgs({ options: { seconds: { type: 'string' }, mode: { type: 'string' }, witness: { type: 'boolean' }, 'count-gc': { type: 'boolean' }, dense: { type: 'boolean' } } });
const seconds = Number(values.seconds ?? 60);
if (!(seconds >= 10)) fail(`--seconds: expected a number >= 10, got "${values.seconds}"`);
const mode = (values.mode ?? 'allocated') as ProfileMode;
if (!MODES.includes(mode)) fail(`--mode: expected one of ${MODES.join(', ')}, got "${values.mode}"`);

const dir = mkdtempSync(path.join(os.tmpdir(), 'timing-profile-'));
const outFile = path.join(dir, 'profile.json');
// Read by the worker, which starts with a copy of this environment.
Object.assign(process.env, { PROFILE_SECONDS: String(seconds), PROFILE_MODE: mode, PROFILE_OUT: outFile, PROFILE_COUNT_GC: values['count-gc'] ? '1' : '0' });

const workerFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'profiled-timing-worker.js');
// Normal scheduling: what it allocates does not depend on priority, and so it can run beside a soak.
const thread = new MidiThread({ port: { kind: 'fake', name: 'profile' }, noteMap: NOTE_MAP_PRESETS.gm, sendClock: true, noteLength: 0.05, realtime: false, log: (m) => process.stderr.write(`${m}\n`) }, { file: workerFile });
const clock = new SystemClock();
/** Kick, snare and hat on every 16th; --dense: all nine drums, and a new pattern every bar, as the box generating. */
const drums = values.dense ? [0, 1, 2, 3, 4, 5, 6, 7, 8] : [0, 1, 2];
const makePattern = (variant: number): Pattern => {
  const pattern = new Pattern();
  for (let step = 0; step < 32; step++) for (const drum of drums) pattern.set(step, drum, 0.5 + 0.1 * ((step + variant) % 4), 0.02 * (((step + drum + variant) % 3) - 1));
  return pattern;
};
const sequencer = new Sequencer({ clock, bpm: 120, pattern: makePattern(0) });
let variant = 0;
const newPatterns = values.dense ? setInterval(() => sequencer.setPattern(makePattern(++variant)), 2000) : null;
thread.attach(sequencer);
if (!(await thread.connect())) fail('the fake port did not open on the profiled timing thread');
if (values.witness) thread.witness(5);
sequencer.start();

// A restarted thread (out of memory, an error in the wrapper) would profile a fresh isolate: stop instead.
const deadline = performance.now() + (seconds + 30) * 1000;
while (!existsSync(outFile)) {
  if (thread.restarts > 0) fail('the profiled timing thread stopped (its error is above)');
  if (performance.now() > deadline) fail(`no profile ${seconds + 30} s after the start`);
  await new Promise((r) => setTimeout(r, 500));
}
const profile = JSON.parse(readFileSync(outFile, 'utf8')) as TimingProfile;
rmSync(dir, { recursive: true, force: true });
if (newPatterns) clearInterval(newPatterns);
sequencer.stop();
await thread.close();

const perMinute = (mb: number) => ((mb / profile.span) * 60).toFixed(3);
const readings = profile.oldSpaceMB;
const rises = readings.slice(1).reduce((sum, mb, i) => sum + Math.max(0, mb - readings[i]), 0);
const gcs = profile.gcs ? `; ${profile.gcs.scavenges} scavenges, ${profile.gcs.fullCollections} full collections` : '';
process.stdout.write(`old generation fills at ${perMinute(rises)} MB/min over ${profile.span.toFixed(1)} s (${readings.map((mb) => mb.toFixed(2)).join(' ')} MB${gcs})\n`);
if (profile.mode !== 'none') {
  const total = profile.sites.reduce((sum, [, bytes]) => sum + bytes, 0) / 2 ** 20;
  process.stdout.write(`${profile.mode === 'allocated' ? 'allocated' : 'still on the heap'}: ${perMinute(total)} MB/min\n`);
  for (const [site, bytes] of profile.sites.sort((a, b) => b[1] - a[1]).slice(0, 12)) process.stdout.write(`  ${perMinute(bytes / 2 ** 20)} MB/min  ${site}\n`);
}
process.exit(0);

function fail(message: string): never {
  process.stderr.write(`profile-timing-thread: ${message}\n`);
  process.exit(2);
}
