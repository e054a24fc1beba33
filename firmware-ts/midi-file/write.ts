import midiFile from 'midi-file';
import type { MidiData, MidiEvent } from 'midi-file';
import { DEFAULT_OUTPUT_PITCHES, DRUM_COUNT, DRUM_PITCHES, DRUMS } from '../pattern/drums.js';
import { Pattern, STEPS, STEPS_PER_BAR } from '../pattern/pattern.js';

/** A length in 16th-note steps of the pattern grid. */
export type Steps = number;

export interface WriteOptions {
  /** Quarter notes per minute (default 120). */
  bpm?: number;
  /**
   * Ticks per quarter note (default 1920). A multiple of 8 so that a step and
   * half a step are whole ticks. At 1920 one tick is 31.25 / bpm ms, so the
   * written onsets stay within 1 ms of the pattern's times down to ~32 bpm.
   */
  ticksPerBeat?: number;
  /**
   * Note length in steps (default 0.5, a 32nd). Drums only need the onset; a
   * note is cut short where the same pitch starts again, because pretty_midi
   * and our reader close every open note of a pitch at its first note-off.
   */
  noteLength?: Steps;
  /** Output pitch per drum, in DRUMS order (default DEFAULT_OUTPUT_PITCHES, General MIDI). */
  pitches?: readonly number[];
  /** Track name meta event (default "groovebox"). */
  trackName?: string;
}

/**
 * The first pitch of each class of the dataset map (36, 38, 42, 46, 43, 47, 50,
 * 49, 51): a file written with these reads back as the same drums. The default
 * General MIDI output pitches do not quite: their low tom, 45, is a mid tom in
 * the Roland TD-11 map the dataset and `readPatterns` use.
 */
export const ROUND_TRIP_PITCHES: readonly number[] = DRUMS.map((drum) => DRUM_PITCHES[drum][0]);

export const DEFAULT_TICKS_PER_BEAT = 1920;

/** A MIDI event at an absolute tick; `order` breaks ties at one tick. */
export interface Placed {
  tick: number;
  order: number;
  event: MidiEvent;
}

/**
 * Patterns played one after the other (each 2 bars of 4/4) as a format-0
 * Standard MIDI File on the drum channel 10 (channel index 9), with a tempo
 * and a 4/4 time signature at time 0 and the end of track at the last bar line.
 *
 * Velocity: round(velocity * 127), at least 1 (a note-on of velocity 0 is a note-off).
 * Microtiming: onset = grid + offset * half a step (positive = late), rounded to
 * a tick and kept one tick inside its half-step boundary, because a note exactly
 * on the boundary belongs to the next step when read back.
 * Before time 0: MIDI has no negative time, so an early note on the very first
 * step is clamped to time 0 (it loses its offset). We chose this over a lead-in
 * bar because a lead-in would shift every bar of the file in a DAW and in
 * `readPatterns`. Early first steps of later patterns keep their offsets.
 */
export function patternsToMidi(patterns: Pattern | readonly Pattern[], options: WriteOptions = {}): Uint8Array {
  const list = patterns instanceof Pattern ? [patterns] : patterns;
  if (!Array.isArray(list) || list.length === 0 || !list.every((p) => p instanceof Pattern)) {
    throw new TypeError('patternsToMidi: expected a Pattern or a non-empty array of Patterns');
  }
  const bpm = options.bpm ?? 120;
  if (typeof bpm !== 'number' || !(bpm > 0 && bpm <= 1000))
    throw new RangeError(`patternsToMidi: option bpm: expected a number in (0, 1000], got ${String(bpm)}`);
  const ppq = options.ticksPerBeat ?? DEFAULT_TICKS_PER_BEAT;
  if (!Number.isInteger(ppq) || ppq < 8 || ppq > 0x7ff8 || ppq % 8 !== 0) {
    throw new RangeError(
      `patternsToMidi: option ticksPerBeat: expected a multiple of 8 in 8..32760, got ${String(ppq)}`,
    );
  }
  const noteLength = options.noteLength ?? 0.5;
  if (typeof noteLength !== 'number' || !(noteLength > 0 && noteLength <= STEPS)) {
    throw new RangeError(
      `patternsToMidi: option noteLength: expected a number of steps in (0, ${STEPS}], got ${String(noteLength)}`,
    );
  }
  const pitches = options.pitches ?? DEFAULT_OUTPUT_PITCHES;
  if (
    !Array.isArray(pitches) ||
    pitches.length !== DRUM_COUNT ||
    !pitches.every((p) => Number.isInteger(p) && p >= 0 && p <= 127)
  ) {
    throw new RangeError(
      `patternsToMidi: option pitches: expected ${DRUM_COUNT} MIDI notes 0..127 (${DRUMS.join(', ')}), got ${JSON.stringify(pitches)}`,
    );
  }

  const stepTicks = ppq / 4; // a 16th
  const half = stepTicks / 2;
  const patternTicks = STEPS * stepTicks;
  const lengthTicks = Math.max(1, Math.round(noteLength * stepTicks));
  const channel = 9;

  // Onsets first, per pitch, so that each note can be cut where its pitch starts again.
  const onsets: { tick: number; pitch: number; velocity: number }[] = [];
  list.forEach((pattern, k) => {
    for (let step = 0; step < STEPS; step++) {
      for (let drum = 0; drum < DRUM_COUNT; drum++) {
        if (!pattern.hit(step, drum)) continue;
        const grid = k * patternTicks + step * stepTicks;
        const wanted = Math.round(grid + pattern.offset(step, drum) * half);
        const tick = Math.max(0, Math.min(grid + half - 1, Math.max(grid - half + 1, wanted)));
        const velocity = Math.min(127, Math.max(1, Math.round(pattern.velocity(step, drum) * 127)));
        onsets.push({ tick, pitch: pitches[drum], velocity });
      }
    }
  });
  onsets.sort((a, b) => a.tick - b.tick || a.pitch - b.pitch);

  // Order within a tick: meta events, then note-offs, then note-ons, so that a
  // note ending where the next one starts never silences the new one.
  const placed: Placed[] = conductorEvents(options.trackName ?? 'groovebox', bpm);
  const nextStart = new Map<number, number>();
  for (let k = onsets.length - 1; k >= 0; k--) {
    const { tick, pitch, velocity } = onsets[k];
    const next = nextStart.get(pitch);
    const end = next !== undefined && next > tick ? Math.min(tick + lengthTicks, next) : tick + lengthTicks;
    nextStart.set(pitch, tick);
    placed.push({ tick, order: 2, event: { deltaTime: 0, type: 'noteOn', channel, noteNumber: pitch, velocity } });
    placed.push({
      tick: end,
      order: 1,
      event: { deltaTime: 0, type: 'noteOff', channel, noteNumber: pitch, velocity: 0 },
    });
  }
  return placedToMidi(placed, ppq, (lastTick) => Math.max(list.length * patternTicks, lastTick));
}

/** A track's opening: its name, the tempo and 4/4 at time 0. */
export function conductorEvents(trackName: string, bpm: number): Placed[] {
  return [
    { tick: 0, order: 0, event: { deltaTime: 0, meta: true, type: 'trackName', text: trackName } },
    {
      tick: 0,
      order: 0,
      event: { deltaTime: 0, meta: true, type: 'setTempo', microsecondsPerBeat: Math.round(60e6 / bpm) },
    },
    {
      tick: 0,
      order: 0,
      event: {
        deltaTime: 0,
        meta: true,
        type: 'timeSignature',
        numerator: 4,
        denominator: 4,
        metronome: 24,
        thirtyseconds: 8,
      },
    },
  ];
}

/**
 * Events at absolute ticks as a format-0 file: sorted by tick, then by `order`
 * (note-offs before note-ons at one tick, so a note ending where the next
 * begins never silences it), the end of track at `endTick(last event's tick)`.
 */
export function placedToMidi(placed: Placed[], ppq: number, endTick: (lastTick: number) => number): Uint8Array {
  placed.sort((a, b) => a.tick - b.tick || a.order - b.order);
  placed.push({
    tick: endTick(placed[placed.length - 1].tick),
    order: 3,
    event: { deltaTime: 0, meta: true, type: 'endOfTrack' },
  });
  let previous = 0;
  const track = placed.map(({ tick, event }) => {
    const withDelta = { ...event, deltaTime: tick - previous } as MidiEvent;
    previous = tick;
    return withDelta;
  });
  const data: MidiData = { header: { format: 0, numTracks: 1, ticksPerBeat: ppq }, tracks: [track] };
  return Uint8Array.from(midiFile.writeMidi(data));
}

/** Seconds from the start of a written file to a step's grid time (for tests and tools). */
export function stepSeconds(patternIndex: number, step: number, bpm: number): number {
  return ((patternIndex * STEPS + step) * 60) / bpm / (STEPS_PER_BAR / 4);
}
