import { DRUM_COUNT, DRUMS } from '../pattern/drums.js';
import { accentFromGroove, type Groove } from '../pattern/gestures.js';
import type { Gestures } from '../pattern/gesture-layout.js';
import { STEPS, STEPS_PER_BAR } from '../pattern/pattern.js';

/**
 * What the performer has said to the model, as one plain serialisable object:
 * what the model gets, what slots save, what the panel shows. Plain arrays,
 * no typed arrays, so JSON.stringify/parse round-trips it unchanged.
 * Every function here is pure: it returns a new state and never mutates.
 */
export interface GestureState {
  /**
   * One entry per drum, in DRUMS order. null = unspecified (the model decides);
   * 32 numbers 0/1 = specified; all zeros = specified-empty ("no hi-hat").
   */
  scores: (number[] | null)[];
  /** The tapped groove (one voice); null until something has been tapped. Offsets -1..1, positive = late. */
  groove: GrooveJSON | null;
  /** 32 numbers 0/1; null = no accent given. */
  accent: number[] | null;
  /** Where `accent` came from: drawn on the grid, or the paper's rule over the tapped velocities. */
  accentSource: AccentSource;
  /**
   * Bar 2 repeats bar 1, as a drum machine repeats a one-bar pattern: while
   * true, every edit of bar 1 (scores and drawn accent) is made in bar 2 as
   * well, so the model is given the one-bar pattern in both bars. Editing bar
   * 2 on its own ends it. A new state starts linked; a state read without the
   * field (a slot saved before linking existed) reads as unlinked, so loading
   * it changes nothing the performer made.
   */
  barsLinked: boolean;
}

export type AccentSource = 'none' | 'grid' | 'taps';
export type DrumScoreState = 'unspecified' | 'specified' | 'empty';

export interface GrooveJSON {
  hits: number[];
  velocities: number[];
  offsets: number[];
}

export function emptyGestureState(): GestureState {
  return {
    scores: new Array(DRUM_COUNT).fill(null),
    groove: null,
    accent: null,
    accentSource: 'none',
    barsLinked: true,
  };
}

/** The three states a drum's score can be in. A specified score with no hits is "empty": the model must not play it. */
export function drumState(state: GestureState, drum: number): DrumScoreState {
  const row = state.scores[checkDrum(drum)];
  if (row === null) return 'unspecified';
  return row.some((v) => v > 0.5) ? 'specified' : 'empty';
}

export function setStep(state: GestureState, drum: number, step: number, on: boolean): GestureState {
  checkDrum(drum);
  checkStep(step);
  const row = state.scores[drum]?.slice() ?? new Array(STEPS).fill(0);
  row[step] = on ? 1 : 0;
  if (state.barsLinked && step < STEPS_PER_BAR) row[step + STEPS_PER_BAR] = row[step];
  return withScore(unlinkedBy(state, step), drum, row);
}

/** Touching a step of an unspecified drum makes the drum specified. */
export function toggleStep(state: GestureState, drum: number, step: number): GestureState {
  const on = (state.scores[checkDrum(drum)]?.[checkStep(step)] ?? 0) > 0.5;
  return setStep(state, drum, step, !on);
}

/** Specified-empty: the performer said "no <drum>". */
export function clearDrum(state: GestureState, drum: number): GestureState {
  return withScore(state, checkDrum(drum), new Array(STEPS).fill(0));
}

/** Back to unspecified: the model decides. */
export function releaseDrum(state: GestureState, drum: number): GestureState {
  return withScore(state, checkDrum(drum), null);
}

/**
 * Copies bar 1 of a drum onto bar 2. An unspecified drum stays unspecified.
 * When after the copy bar 2 equals bar 1 everywhere (every drum and the
 * accent), the bars are linked again: the performer has just made the loop a
 * repeated bar, and expects further bar-1 edits to repeat too. While any other
 * drum still differs in bar 2 they stay unlinked, so nothing they made in bar
 * 2 is overwritten behind their back.
 */
export function copyBar(state: GestureState, drum: number): GestureState {
  const row = state.scores[checkDrum(drum)];
  if (row === null) return state;
  return relinkIfRepeated(withScore(state, drum, repeatBar1(row)));
}

/** True when bar 2 of every score and of the accent is a copy of bar 1. */
export function barsRepeat(state: GestureState): boolean {
  const repeats = (row: number[] | null): boolean =>
    row === null || row.every((v, i) => i < STEPS_PER_BAR || v === row[i - STEPS_PER_BAR]);
  return state.scores.every(repeats) && (state.accentSource !== 'grid' || repeats(state.accent));
}

/** A new groove (null = none). When the accent follows the taps, it follows this groove too. */
export function setGroove(state: GestureState, groove: Groove | GrooveJSON | null): GestureState {
  const json = groove === null ? null : grooveToJSON(groove);
  const next = { ...state, groove: json };
  return state.accentSource === 'taps'
    ? { ...next, accent: json ? Array.from(accentFromGroove(grooveFromJSON(json))) : null }
    : next;
}

/**
 * Rows and an accent played in a take (MIDI notes mapped to drums): `rows`
 * replaces the given drums' scores (null = unspecified), `accent` the accent
 * when not undefined. Both bars come from the take, so when bar 2 now differs
 * from bar 1 the bars are no longer linked (a linked state always repeats).
 */
export function setTakeRows(
  state: GestureState,
  rows: ReadonlyMap<number, number[] | null>,
  accent?: { accent: number[] | null; source: AccentSource },
): GestureState {
  const scores = state.scores.slice();
  for (const [drum, row] of rows) scores[checkDrum(drum)] = row === null ? null : takeRow(row, drum);
  let next: GestureState = { ...state, scores };
  if (accent) next = { ...next, accent: accent.accent, accentSource: accent.source };
  return next.barsLinked && !barsRepeat(next) ? { ...next, barsLinked: false } : next;
}

export function toggleAccent(state: GestureState, step: number): GestureState {
  checkStep(step);
  const accent = drawnAccent(state) ?? new Array(STEPS).fill(0);
  accent[step] = accent[step] > 0.5 ? 0 : 1;
  if (state.barsLinked && step < STEPS_PER_BAR) accent[step + STEPS_PER_BAR] = accent[step];
  return { ...unlinkedBy(state, step), accent, accentSource: 'grid' };
}

/** Copies the accent's bar 1 onto bar 2; links the bars again when the whole state then repeats (as copyBar). */
export function copyAccentBar(state: GestureState): GestureState {
  if (!state.accent) return state;
  return relinkIfRepeated({ ...state, accent: repeatBar1(state.accent), accentSource: 'grid' });
}

export function clearAccent(state: GestureState): GestureState {
  return { ...state, accent: null, accentSource: 'none' };
}

/**
 * Chooses where the accent comes from. 'taps' applies the paper's rule (a
 * step is accented when louder than mean + 1 std of the tapped velocities);
 * 'grid' keeps the present accent as a starting point for editing.
 */
export function setAccentSource(state: GestureState, source: AccentSource): GestureState {
  if (source === 'taps') {
    const accent = state.groove ? Array.from(accentFromGroove(grooveFromJSON(state.groove))) : null;
    return { ...state, accent, accentSource: 'taps' };
  }
  if (source === 'none') return clearAccent(state);
  return { ...state, accent: drawnAccent(state), accentSource: 'grid' };
}

/** The accent as a starting point for drawing: while the bars are linked a drawn accent repeats bar 1, so the taps' bar 1 is taken for both. */
function drawnAccent(state: GestureState): number[] | null {
  if (!state.accent) return null;
  return state.barsLinked ? repeatBar1(state.accent) : state.accent.slice();
}

/** What the model takes: the shared Gestures, typed arrays from the plain-JSON state. */
export function toGestures(state: GestureState): Gestures {
  return {
    drums: state.scores.map((row) => (row === null ? null : Float32Array.from(row))),
    groove: state.groove ? grooveFromJSON(state.groove) : null,
    accent: state.accent ? Float32Array.from(state.accent) : null,
  };
}

export function grooveToJSON(g: Groove | GrooveJSON): GrooveJSON {
  return {
    hits: Array.from(g.hits),
    velocities: Array.from(g.velocities, round4),
    offsets: Array.from(g.offsets, round4),
  };
}

export function grooveFromJSON(g: GrooveJSON): Groove {
  return {
    hits: Float32Array.from(g.hits),
    velocities: Float32Array.from(g.velocities),
    offsets: Float32Array.from(g.offsets),
  };
}

function repeatBar1(row: number[]): number[] {
  return [...row.slice(0, STEPS_PER_BAR), ...row.slice(0, STEPS_PER_BAR)];
}

/** An edit in bar 2 (step 16..31) makes bar 2 the performer's own: the bars are no longer linked. */
function unlinkedBy(state: GestureState, step: number): GestureState {
  return state.barsLinked && step >= STEPS_PER_BAR ? { ...state, barsLinked: false } : state;
}

function relinkIfRepeated(state: GestureState): GestureState {
  return !state.barsLinked && barsRepeat(state) ? { ...state, barsLinked: true } : state;
}

function withScore(state: GestureState, drum: number, row: number[] | null): GestureState {
  const scores = state.scores.slice();
  scores[drum] = row;
  return { ...state, scores };
}

function checkDrum(drum: number): number {
  if (!Number.isInteger(drum) || drum < 0 || drum >= DRUM_COUNT)
    throw new RangeError(`drum ${drum}: expected 0..${DRUM_COUNT - 1} (${DRUMS.join(', ')})`);
  return drum;
}

function checkStep(step: number): number {
  if (!Number.isInteger(step) || step < 0 || step >= STEPS)
    throw new RangeError(`step ${step}: expected 0..${STEPS - 1}`);
  return step;
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}

/** A take's row for one drum: 32 hits of 0 or 1 (the take builds them; a wrong one is a bug, said at once). */
function takeRow(row: number[], drum: number): number[] {
  if (row.length !== STEPS || row.some((v) => v !== 0 && v !== 1))
    throw new TypeError(`take row ${drum}: expected ${STEPS} numbers, each 0 or 1`);
  return row.slice();
}
