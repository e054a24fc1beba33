import { FakeMidiPort } from '../../outputs/midi/fake-midi-port.js';
import { openEasyMidiPort } from '../../outputs/midi/easymidi-port.js';
import type { MidiPort } from '../../outputs/midi/midi-port.js';
import { MidiOut } from '../../outputs/midi/midi-out.js';
import { raiseTimingPriority } from '../../outputs/midi/priority.js';
import { DRUM_COUNT } from '../../pattern/drums.js';
import { Pattern, STEPS } from '../../pattern/pattern.js';
import { Sequencer } from '../../sequencer/sequencer.js';
import { SystemClock } from '../../time/clock.js';
import type { Command } from '../command.js';
import { numberOption, stringOption } from '../command.js';

/** A failure the user can act on: printed as one line. */
class BenchError extends Error {
  override name = 'BenchError';
}

interface BackgroundLoad {
  stop(): Promise<void>;
  generations(): number;
}

/** Loaded by path at run time: the engine is optional for this command and may not be built yet. */
async function startLoad(model?: string): Promise<BackgroundLoad> {
  const modulePath = '../../engine/background-load.js';
  let mod: { startBackgroundGeneration?: (opts?: { model?: string }) => Promise<BackgroundLoad> };
  try {
    mod = await import(modulePath);
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      throw new BenchError(`--load needs firmware-ts/engine/background-load.ts (startBackgroundGeneration), which is not built yet; run without --load`);
    }
    throw error;
  }
  if (typeof mod.startBackgroundGeneration !== 'function') {
    throw new BenchError(`--load: engine/background-load.js does not export startBackgroundGeneration`);
  }
  return mod.startBackgroundGeneration(model ? { model } : undefined);
}

/**
 * Every drum on every 16th with a different microtiming offset each, so sends
 * are spread out (simultaneous sends would measure the port, not the loop).
 */
function densePattern(): Pattern {
  const p = new Pattern();
  let seed = 7;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let step = 0; step < STEPS; step++) {
    for (let drum = 0; drum < DRUM_COUNT; drum++) p.set(step, drum, 0.2 + 0.8 * random(), random() * 1.8 - 0.9);
  }
  return p;
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const round = (x: number) => Math.round(x * 10000) / 10000;

export const benchMidiTiming: Command = {
  name: 'bench midi-timing',
  summary: 'Measures how close to their scheduled time MIDI messages leave (p50/p99), optionally under model load',
  usage: `groovebox bench midi-timing [--events N] [--bpm BPM] [--load] [--model NAME] [--port NAME | --fake] [--json]
  --events N     messages to measure (note on/off and clock), default 10000
  --bpm BPM      tempo, default 180; every drum plays every 16th with its own offset
  --load         generate with the model back-to-back in a worker thread meanwhile
  --model NAME   model for --load (default: the engine's default)
  --port NAME    measure on this MIDI output (default: the virtual port "GrooveBox" if RtMidi opens, else a fake port)
  --fake         always use the fake port (timestamps each send with performance.now)
  --rt N         SCHED_FIFO priority for the main (MIDI) thread, as the box runs it; default 50, 0 = normal scheduling
  --nice N       nice value for the main thread; default -10, 0 = leave as is
  --json         print one JSON object`,
  options: {
    events: { type: 'string' }, bpm: { type: 'string' }, load: { type: 'boolean' }, model: { type: 'string' },
    port: { type: 'string' }, fake: { type: 'boolean' }, json: { type: 'boolean' }, nice: { type: 'string' }, rt: { type: 'string' },
  },
  async run({ values }) {
    const events = numberOption(values, 'events', 10000, 100, 10_000_000);
    const bpm = numberOption(values, 'bpm', 180, 40, 240);
    const withLoad = values.load === true;
    const log = (m: string) => process.stderr.write(`${m}\n`);

    let port: MidiPort;
    let fake: FakeMidiPort | null = null;
    if (values.fake) {
      port = fake = new FakeMidiPort('fake (performance.now)');
    } else {
      try {
        port = await openEasyMidiPort({ port: stringOption(values, 'port') });
      } catch (error) {
        if (stringOption(values, 'port')) throw error;
        log(`bench: no MIDI port (${(error as Error).message}); measuring on a fake port stamped with performance.now`);
        port = fake = new FakeMidiPort('fake (performance.now)');
      }
    }

    const load = withLoad ? await startLoad(stringOption(values, 'model')) : null;
    const generationsBefore = load?.generations() ?? 0;
    // After the worker exists (a new thread inherits its creator's nice value; inference must not get ours).
    const priority = raiseTimingPriority({ nice: numberOption(values, 'nice', -10, -20, 19), realtime: numberOption(values, 'rt', 50, 0, 99) || false }, log);

    const clock = new SystemClock();
    const due: number[] = [];
    const sentAt: number[] = [];
    let finish: () => void = () => {};
    const done = new Promise<void>((resolve) => (finish = resolve));
    const midi = new MidiOut({
      clock, precise: true, open: async () => port, noteLength: 0.02, log: () => {},
      onSend: (_bytes, dueAt, at) => {
        due.push(dueAt);
        sentAt.push(at);
        if (due.length === events) finish();
      },
    });
    await midi.connect();
    const sequencer = new Sequencer({ clock, bpm, pattern: densePattern() });
    midi.attach(sequencer);
    const t0 = performance.now();
    sequencer.start();
    await done;
    sequencer.stop();
    const seconds = (performance.now() - t0) / 1000;
    const generations = (load?.generations() ?? 0) - generationsBefore;
    await load?.stop();
    midi.close();

    // Error = |time the message left - time it was due|. The fake port's own performance.now stamp is the send time.
    const errors = new Float64Array(events);
    for (let i = 0; i < events; i++) {
      const actualMs = fake ? fake.sent[i].timeMs : sentAt[i] * 1000;
      errors[i] = Math.abs(actualMs - due[i] * 1000);
    }
    const sorted = errors.slice().sort();
    let over1 = 0;
    let sum = 0;
    for (const e of errors) {
      sum += e;
      if (e > 1) over1++;
    }
    const result = {
      p50_ms: round(percentile(sorted, 0.5)),
      p90_ms: round(percentile(sorted, 0.9)),
      p99_ms: round(percentile(sorted, 0.99)),
      max_ms: round(sorted[sorted.length - 1]),
      mean_ms: round(sum / events),
      over_1ms: over1,
      events,
      load: withLoad,
      generations: withLoad ? generations : undefined,
      bpm,
      nice: priority.nice,
      realtime: priority.realtime,
      port: port.name,
      seconds: Math.round(seconds * 10) / 10,
    };
    if (values.json) {
      process.stdout.write(JSON.stringify(result) + '\n');
      return;
    }
    process.stdout.write(
      `MIDI send timing on "${result.port}" at ${bpm} BPM, nice ${priority.nice}, ${priority.realtime ? `SCHED_FIFO ${priority.realtime}` : 'normal scheduling'}${withLoad ? `, with ${generations} model generations meanwhile` : ''}\n` +
        `  ${events} messages in ${result.seconds} s\n` +
        `  |sent - due|  p50 ${result.p50_ms} ms   p90 ${result.p90_ms} ms   p99 ${result.p99_ms} ms   max ${result.max_ms} ms   (${over1} over 1 ms)\n`,
    );
  },
};
