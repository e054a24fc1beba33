import { MidiOut } from '../outputs/midi/midi-out.js';
import type { MidiSink } from '../outputs/midi/midi-sink.js';
import { MidiThread } from '../outputs/midi/timing-thread.js';
import type { SequencerEvent } from '../sequencer/events.js';
import type { Clock } from '../time/clock.js';
import type { BoxLog } from './log.js';
import type { BoxMidiOptions } from './options.js';

/** The MIDI output the options describe: on its own real-time thread, or on this one (tests). */
export function openMidi(options: BoxMidiOptions, clock: Clock, log: (message: string) => void): MidiSink {
  const common = { noteMap: options.noteMap, sendClock: options.sendClock, noteLength: options.noteLength, retryInterval: options.retryInterval, log };
  if ('thread' in options) return new MidiThread({ ...common, port: options.thread, realtime: options.realtime });
  return new MidiOut({ ...common, clock, open: options.open, precise: options.precise, onSend: options.onSend });
}

/** A broken output must not flood the journal: the first failure of a run and then every 1000th. */
export function listenerErrorLog(log: BoxLog): (error: unknown, event: SequencerEvent) => void {
  let count = 0;
  return (error, event) => {
    count++;
    if (count === 1 || count % 1000 === 0) log.warn(`an output threw on a ${event.type} event (${count} so far): ${(error as Error)?.message ?? error}`);
  };
}
