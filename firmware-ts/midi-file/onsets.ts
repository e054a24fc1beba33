import { STEPS_PER_BAR } from '../pattern/pattern.js';
import { DEFAULT_TICKS_PER_BEAT, conductorEvents, placedToMidi, type Placed } from './write.js';

/** A stroke at its own time: seconds from the start of the file, velocity 0..1. */
export interface TimedStroke {
  time: number;
  velocity: number;
}

export interface OnsetsMidiOptions {
  bpm: number;
  /** The one pitch every stroke is written on (drum channel 10). */
  pitch: number;
  /** Seconds the file lasts at least (e.g. the recording's length); the end is rounded up to whole 2-bar loops. */
  duration?: number;
  ticksPerBeat?: number;
}

/**
 * Strokes at their exact times (not on a grid) as a format-0 Standard MIDI
 * File: a tempo and 4/4 at time 0, one note per stroke on the drum channel,
 * a 32nd long or cut where the next begins, and the end of track at the end
 * of the last 2-bar loop, so that the file reads back as whole loops. At
 * 1920 ticks per beat a tick is under 0.3 ms at 120 bpm, so the written times
 * are the strokes' times to well within a millisecond.
 */
export function onsetsToMidi(strokes: readonly TimedStroke[], options: OnsetsMidiOptions): Uint8Array {
  const { bpm, pitch } = options;
  if (!(bpm > 0 && bpm <= 1000))
    throw new RangeError(`onsetsToMidi: option bpm: expected a number in (0, 1000], got ${String(bpm)}`);
  if (!Number.isInteger(pitch) || pitch < 0 || pitch > 127)
    throw new RangeError(`onsetsToMidi: option pitch: expected a MIDI note 0..127, got ${String(pitch)}`);
  const ppq = options.ticksPerBeat ?? DEFAULT_TICKS_PER_BEAT;
  const ticksPerSecond = (ppq * bpm) / 60;
  const loopTicks = 2 * STEPS_PER_BAR * (ppq / 4);
  const noteTicks = ppq / 8;
  const ticks = strokes.map((s) => Math.max(0, Math.round(s.time * ticksPerSecond))).sort((a, b) => a - b);
  const sorted = [...strokes].sort((a, b) => a.time - b.time);
  const placed: Placed[] = conductorEvents('groovebox taps', bpm);
  ticks.forEach((tick, k) => {
    const next = ticks[k + 1];
    const end = next !== undefined && next > tick ? Math.min(tick + noteTicks, next) : tick + noteTicks;
    const velocity = Math.min(127, Math.max(1, Math.round(sorted[k].velocity * 127)));
    placed.push({ tick, order: 2, event: { deltaTime: 0, type: 'noteOn', channel: 9, noteNumber: pitch, velocity } });
    placed.push({
      tick: end,
      order: 1,
      event: { deltaTime: 0, type: 'noteOff', channel: 9, noteNumber: pitch, velocity: 0 },
    });
  });
  const fileEnd = Math.round((options.duration ?? 0) * ticksPerSecond);
  return placedToMidi(
    placed,
    ppq,
    (lastTick) => Math.max(1, Math.ceil(Math.max(lastTick, fileEnd) / loopTicks)) * loopTicks,
  );
}
