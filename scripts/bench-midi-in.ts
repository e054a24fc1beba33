/**
 * MIDI tap timing (issue 24): how near a MIDI note's time on the box's clock
 * comes to its arrival. A fake port in a thread of its own plays notes as
 * RtMidi's input thread hands them on: each stamped on arrival on a clock of
 * its own (the driver's), then posted to the main thread, which sees it
 * whenever it gets to it. The main thread runs the box's own path for notes
 * (NoteGestures: the arrival clock, the note map, the stroke) while the model
 * generates back to back in a worker (as the MIDI-out figures' --load), and,
 * with --busy, blocks for a few milliseconds every frame as the panel and
 * the LEDs do. Truth: the arrival on the main thread's clock (both threads
 * read one monotonic clock through performance.timeOrigin + now()).
 *
 *   npm run build && node dist/scripts/bench-midi-in.js [--notes N] [--rate R] [--load] [--busy MS] [--json]
 *
 * Figures: |note time - arrival| (p50, p95, p99, max, share within 1 ms), and
 * for comparison how late the main thread saw the notes (what the time would
 * be without the driver's stamps).
 */
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { Stroke } from '../firmware-ts/controls/tap-recorder.js';
import { FakeMidiInput } from '../firmware-ts/inputs/midi/midi-input.js';
import { NoteGestures } from '../firmware-ts/inputs/midi/note-gestures.js';
import { NoteDrumMap } from '../firmware-ts/inputs/midi/note-map-in.js';
import { SystemClock } from '../firmware-ts/time/clock.js';

const { values } = parseArgs({
  options: {
    notes: { type: 'string' },
    rate: { type: 'string' },
    load: { type: 'boolean' },
    busy: { type: 'string' },
    model: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(
    'node dist/scripts/bench-midi-in.js [--notes N (default 1000)] [--rate NOTES_PER_S (default 16)] [--load] [--busy MS (default 3)] [--model NAME] [--json]\n',
  );
  process.exit(0);
}
const number = (name: 'notes' | 'rate' | 'busy', fallback: number, lo: number, hi: number): number => {
  const raw = values[name];
  const v = raw === undefined ? fallback : Number(raw);
  if (!(Number.isFinite(v) && v >= lo && v <= hi)) {
    process.stderr.write(`bench-midi-in: --${name} = ${raw}: expected a number in ${lo}..${hi}\n`);
    process.exit(2);
  }
  return v;
};
const notes = Math.round(number('notes', 1000, 10, 1_000_000));
const rate = number('rate', 16, 1, 200);
const busyMs = number('busy', 3, 0, 30);

/**
 * The fake port's thread: sleeps to a millisecond short of each note, spins
 * the rest (so the arrival is where it was meant to be, jittered a little as
 * a USB packet would be), stamps it and posts it; a note-off 30 ms later.
 */
const DRIVER = `
const { parentPort, workerData } = require('node:worker_threads');
const { notes, rate } = workerData;
const cell = new Int32Array(new SharedArrayBuffer(4));
const abs = () => performance.timeOrigin + performance.now();
let seed = 11;
const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
const events = [];
const start = abs() + 500;
for (let i = 0; i < notes; i++) {
  const at = start + (i * 1000) / rate + random() * 2;
  const note = [36, 38, 42, 46][i % 4];
  events.push({ at, bytes: [0x99, note, 30 + Math.floor(random() * 97)] });
  events.push({ at: at + 30, bytes: [0x89, note, 0] });
}
events.sort((a, b) => a.at - b.at);
for (const e of events) {
  const wait = e.at - abs() - 1;
  if (wait > 0) Atomics.wait(cell, 0, 0, wait);
  while (abs() < e.at) {}
  parentPort.postMessage({ bytes: e.bytes, stamp: abs() });
}
parentPort.postMessage({ done: true });
`;

const clock = new SystemClock();
const input = new FakeMidiInput('bench port');
const gestures = new NoteGestures({ channel: null, map: new NoteDrumMap(), accent: 'velocity', accentNote: null });
const errors: number[] = [];
const lateness: number[] = [];
let truth = 0;
gestures.onStroke((stroke: Stroke) => errors.push(Math.abs(stroke.time - truth) * 1000));
gestures.listen(input);

let load: { stop(): Promise<void>; generations(): number } | null = null;
if (values.load) {
  const { startBackgroundGeneration } = await import('../firmware-ts/engine/background-load.js');
  load = await startBackgroundGeneration(values.model ? { model: values.model } : {});
}
// The main thread's own frames: the LEDs and the panel snapshot, a few ms of work every 33 ms.
const frames = busyMs
  ? setInterval(() => {
      const until = performance.now() + busyMs;
      while (performance.now() < until);
    }, 33)
  : null;

const t0 = performance.now();
const driver = new Worker(DRIVER, { eval: true, workerData: { notes, rate } });
await new Promise<void>((resolve, reject) => {
  driver.on('error', reject);
  driver.on('message', (m: { bytes?: number[]; stamp?: number; done?: boolean }) => {
    if (m.done) return resolve();
    const seen = clock.now();
    truth = (m.stamp! - performance.timeOrigin) / 1000;
    if ((m.bytes![0] & 0xf0) === 0x90) lateness.push((seen - truth) * 1000);
    // As systemMidiInput's callback: this thread's time, and the driver's stamp on a clock of its own (epoch seconds).
    input.emit(m.bytes!, seen, m.stamp! / 1000);
  });
});
const seconds = (performance.now() - t0) / 1000;
if (frames) clearInterval(frames);
const generations = load?.generations() ?? 0;
await load?.stop();
await driver.terminate();

const quantile = (xs: number[], q: number): number => {
  const sorted = xs.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};
const round = (x: number) => Math.round(x * 1000) / 1000;
const result = {
  notes: errors.length,
  p50_ms: round(quantile(errors, 0.5)),
  p95_ms: round(quantile(errors, 0.95)),
  p99_ms: round(quantile(errors, 0.99)),
  max_ms: round(Math.max(...errors)),
  within1ms: round(errors.filter((e) => e <= 1).length / errors.length),
  first_ms: round(errors[0]),
  deliveryLate_p50_ms: round(quantile(lateness, 0.5)),
  deliveryLate_p99_ms: round(quantile(lateness, 0.99)),
  deliveryLate_max_ms: round(Math.max(...lateness)),
  rate,
  busyMs,
  load: values.load === true,
  generations: values.load ? generations : undefined,
  seconds: Math.round(seconds * 10) / 10,
};
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else
  process.stdout.write(
    `MIDI tap timing: ${result.notes} notes at ${rate}/s${result.load ? `, ${generations} generations meanwhile` : ''}${busyMs ? `, main thread busy ${busyMs} ms every 33 ms` : ''}\n` +
      `  |note time - arrival|  p50 ${result.p50_ms} ms  p95 ${result.p95_ms} ms  p99 ${result.p99_ms} ms  max ${result.max_ms} ms  within 1 ms ${(result.within1ms * 100).toFixed(1)}%  (first note ${result.first_ms} ms)\n` +
      `  seen by the main thread late by  p50 ${result.deliveryLate_p50_ms} ms  p99 ${result.deliveryLate_p99_ms} ms  max ${result.deliveryLate_max_ms} ms\n`,
  );
