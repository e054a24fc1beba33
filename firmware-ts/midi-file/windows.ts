import { drumIndexOfPitch } from '../pattern/drums.js';
import { Pattern, STEPS, STEPS_PER_BAR, clamp } from '../pattern/pattern.js';
import type { Performance, TimedNote } from './performance.js';

/**
 * Seconds per bar, the TensorFlow Datasets `groove` way: the dataset's `bpm`
 * counts the time signature's own beat, so a bar is `numerator` beats long
 * whatever the denominator (this reproduces the published window counts).
 */
export function barSeconds(bpm: number, beatsPerBar: number): number {
  return (60 / bpm) * beatsPerBar;
}

/**
 * Number of bars in a performance, the TensorFlow Datasets `groove/2bar` way:
 * round(end time / bar duration), with pretty_midi's end time.
 */
export function barCount(performance: Performance, bar: number): number {
  return Math.round(performance.endTime / bar);
}

/** Number of 2-bar windows with a 1-bar hop. */
export function windowCount(bars: number, barsPerWindow = 2): number {
  return Math.max(0, bars - barsPerWindow + 1);
}

/**
 * Quantizes the notes of [start, start + 2 bars) onto the 32-step grid of a 4/4
 * window. A note belongs to its nearest 16th; the window reaches half a step
 * before its first downbeat (so a downbeat played a hair early is kept, not
 * lost to the previous window) and stops half a step before its end.
 * Offset = distance from the grid in half-steps, positive = late.
 * Several notes of one drum in one step: the loudest wins.
 */
export function quantizeWindow(notes: readonly TimedNote[], start: number, bar: number, firstNote = 0): Pattern {
  const step = bar / STEPS_PER_BAR;
  const pattern = new Pattern();
  const from = start - step / 2;
  const to = start + STEPS * step - step / 2;
  for (let k = firstNote; k < notes.length; k++) {
    const note = notes[k];
    if (note.time < from) continue;
    if (note.time >= to) break;
    const drum = drumIndexOfPitch(note.pitch);
    if (drum < 0) continue;
    const rel = note.time - start;
    const s = Math.round(rel / step);
    if (s < 0 || s >= STEPS) continue;
    const velocity = note.velocity / 127;
    if (pattern.hit(s, drum) && pattern.velocity(s, drum) >= velocity) continue;
    pattern.set(s, drum, velocity, clamp((rel - s * step) / (step / 2), -1, 1));
  }
  return pattern;
}

/** All 2-bar windows of a 4/4 performance with a 1-bar hop. */
export function* windows(
  performance: Performance,
  bpm: number,
): Generator<{ bar: number; pattern: Pattern; holdsNotes: boolean }> {
  const bar = barSeconds(bpm, 4);
  const n = windowCount(barCount(performance, bar));
  let first = 0;
  for (let b = 0; b < n; b++) {
    const start = b * bar;
    while (first < performance.notes.length && performance.notes[first].time < start - bar) first++;
    yield {
      bar: b,
      pattern: quantizeWindow(performance.notes, start, bar, first),
      holdsNotes: holdsNotes(performance.notes, start, start + 2 * bar, first),
    };
  }
}

/** Whether any note (of any pitch) starts in [start, end): the TFDS notion of a non-empty window. */
function holdsNotes(notes: readonly TimedNote[], start: number, end: number, firstNote: number): boolean {
  for (let k = firstNote; k < notes.length; k++) {
    if (notes[k].time >= end) return false;
    if (notes[k].time >= start) return true;
  }
  return false;
}

/** Number of kit notes a performance holds (to tell "no drum notes" apart). */
export function drumNoteCount(performance: Performance): number {
  let n = 0;
  for (const note of performance.notes) if (drumIndexOfPitch(note.pitch) >= 0) n++;
  return n;
}
