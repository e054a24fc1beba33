import { NOTE_MAP_PRESETS } from '../../outputs/midi/note-map.js';
import type { MidiPortSpec } from '../../outputs/midi/timing-protocol.js';
import { MidiThread } from '../../outputs/midi/timing-thread.js';
import { DRUM_COUNT } from '../../pattern/drums.js';
import { Pattern, STEPS } from '../../pattern/pattern.js';
import { Sequencer } from '../../sequencer/sequencer.js';
import { SystemClock } from '../../time/clock.js';
import type { Command } from '../command.js';
import { numberOption, stringOption, integerOption } from '../command.js';

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
      throw new BenchError(
        `--load needs firmware-ts/engine/background-load.ts (startBackgroundGeneration), which is not built yet; run without --load`,
      );
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
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let step = 0; step < STEPS; step++) {
    for (let drum = 0; drum < DRUM_COUNT; drum++) p.set(step, drum, 0.2 + 0.8 * random(), random() * 1.8 - 0.9);
  }
  return p;
}

export const benchMidiTiming: Command = {
  name: 'bench midi-timing',
  summary:
    'Measures how close to their scheduled time MIDI messages leave the timing thread (p50/p99), optionally under model load',
  usage: `groovebox bench midi-timing [--events N] [--bpm BPM] [--load] [--model NAME] [--port NAME | --fake] [--rt N] [--json]
  --events N     messages to measure (note on/off and clock), default 10000
  --bpm BPM      tempo, default 180; every drum plays every 16th with its own offset
  --load         generate with the model back-to-back in a worker thread meanwhile
  --model NAME   model for --load (default: the engine's default)
  --port NAME    measure on this MIDI output (default: the virtual port "GrooveBox" if RtMidi opens, else a fake port)
  --fake         always use the fake port
  --rt N         SCHED_FIFO priority of the MIDI timing thread, as the box runs it; default 50, 0 = normal scheduling
  --json         print one JSON object`,
  options: {
    events: { type: 'string' },
    bpm: { type: 'string' },
    load: { type: 'boolean' },
    model: { type: 'string' },
    port: { type: 'string' },
    fake: { type: 'boolean' },
    json: { type: 'boolean' },
    rt: { type: 'string' },
  },
  async run({ values }) {
    const events = integerOption(values, 'events', 10000, 100, 10_000_000);
    const bpm = numberOption(values, 'bpm', 180, 40, 240);
    const withLoad = values.load === true;
    const log = (m: string) => process.stderr.write(`${m}\n`);

    // The box's own path: the sequencer here on the main thread, MIDI out on the timing thread,
    // which measures |sent - due| itself (its histogram, read at the end).
    const spec: MidiPortSpec = values.fake
      ? { kind: 'fake', name: 'fake' }
      : { kind: 'easymidi', port: stringOption(values, 'port') ?? null };
    const load = withLoad ? await startLoad(stringOption(values, 'model')) : null;
    const generationsBefore = load?.generations() ?? 0;
    let midi = new MidiThread({
      port: spec,
      noteMap: NOTE_MAP_PRESETS.gm,
      sendClock: true,
      noteLength: 0.02,
      realtime: integerOption(values, 'rt', 50, 0, 99) || false,
      log: () => {},
    });
    if (!(await midi.connect())) {
      await midi.close();
      if (spec.kind === 'easymidi' && spec.port) throw new BenchError(`bench: cannot open MIDI output "${spec.port}"`);
      log('bench: no MIDI port (RtMidi did not open); measuring on a fake port');
      midi = new MidiThread({
        port: { kind: 'fake', name: 'fake' },
        noteMap: NOTE_MAP_PRESETS.gm,
        sendClock: true,
        noteLength: 0.02,
        realtime: integerOption(values, 'rt', 50, 0, 99) || false,
        log: () => {},
      });
      await midi.connect();
    }
    const clock = new SystemClock();
    const sequencer = new Sequencer({ clock, bpm, pattern: densePattern() });
    midi.attach(sequencer);
    await midi.figures(true);
    const t0 = performance.now();
    sequencer.start();
    let figures = await midi.figures();
    while (figures.lateness.events < events) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      figures = await midi.figures();
    }
    sequencer.stop();
    const seconds = (performance.now() - t0) / 1000;
    const generations = (load?.generations() ?? 0) - generationsBefore;
    const realtime = midi.realtime;
    const port = midi.portName;
    await load?.stop();
    await midi.close();

    const l = figures.lateness;
    const result = {
      p50_ms: l.p50_ms,
      p90_ms: l.p90_ms,
      p99_ms: l.p99_ms,
      max_ms: l.max_ms,
      mean_ms: l.mean_ms,
      events: l.events,
      timingThreadMaxStallMs: figures.stalls.max_ms,
      load: withLoad,
      generations: withLoad ? generations : undefined,
      bpm,
      realtime,
      port,
      seconds: Math.round(seconds * 10) / 10,
    };
    if (values.json) {
      process.stdout.write(JSON.stringify(result) + '\n');
      return;
    }
    process.stdout.write(
      `MIDI send timing on "${result.port}" at ${bpm} BPM, timing thread ${realtime ? `SCHED_FIFO ${realtime}` : 'at normal scheduling'}${withLoad ? `, with ${generations} model generations meanwhile` : ''}\n` +
        `  ${result.events} messages in ${result.seconds} s\n` +
        `  |sent - due|  p50 ${result.p50_ms} ms   p90 ${result.p90_ms} ms   p99 ${result.p99_ms} ms   max ${result.max_ms} ms   mean ${result.mean_ms} ms\n`,
    );
  },
};
