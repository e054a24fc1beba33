import type { Rgb } from '../devices/interfaces.js';
import { GRID_KEYS } from '../devices/interfaces.js';
import type { Groove } from '../pattern/gestures.js';
import { STEPS_PER_BAR } from '../pattern/pattern.js';
import type { Seconds } from '../time/clock.js';
import type { EditorUi } from './editor.js';
import { drumState, type GestureState } from './state.js';
import type { TakeWindow } from './tap-recorder.js';

/**
 * How the model heard the gestures: the auxiliary reconstructions that come
 * back with a generation. `scores[d][step]` are hit probabilities 0..1.
 */
export interface Interpretation {
  scores?: ArrayLike<number>[];
  groove?: Groove;
  accent?: ArrayLike<number>;
}

export interface ViewContext {
  /** The step the sequencer is playing (0..31), or null when stopped. */
  playheadStep?: number | null;
  /** A take in progress and the present time: count-in and recording are shown instead of the editor. */
  take?: { window: TakeWindow; now: Seconds; partial: Groove } | null;
  interpretation?: Interpretation | null;
}

const OFF: Rgb = { r: 0, g: 0, b: 0 };
/** One hue per drum, DRUMS order; bright enough to tell apart at 35 % LED brightness. */
export const DRUM_COLORS: readonly Rgb[] = [
  { r: 255, g: 40, b: 0 }, // kick
  { r: 255, g: 200, b: 0 }, // snare
  { r: 0, g: 220, b: 60 }, // closed hat
  { r: 0, g: 200, b: 200 }, // open hat
  { r: 0, g: 60, b: 255 }, // low tom
  { r: 120, g: 0, b: 255 }, // mid tom
  { r: 255, g: 0, b: 200 }, // high tom
  { r: 255, g: 255, b: 255 }, // crash
  { r: 160, g: 255, b: 120 }, // ride
];
/** Three states of a drum's score, told apart at a glance. */
export const UNSPECIFIED_COLOR: Rgb = { r: 10, g: 10, b: 24 }; // faint blue wash: "the model decides"
export const EMPTY_COLOR: Rgb = { r: 40, g: 0, b: 0 }; // faint red wash: "do not play"
export const ACCENT_COLOR: Rgb = { r: 255, g: 100, b: 0 };
export const TAPS_ACCENT_COLOR: Rgb = { r: 255, g: 220, b: 0 };
export const PLAYHEAD_COLOR: Rgb = { r: 90, g: 90, b: 90 };
export const COUNT_IN_COLOR: Rgb = { r: 255, g: 0, b: 0 };
export const AGREE_COLOR: Rgb = { r: 0, g: 255, b: 0 };
export const MISSED_COLOR: Rgb = { r: 255, g: 0, b: 160 };
export const MODEL_COLOR: Rgb = { r: 0, g: 180, b: 255 };
/**
 * While the bars are linked, bar 2's lit steps are bar 1's repeated, not
 * steps of its own: shown veiled (this share of the colour), so PAGE tells at
 * a glance that editing here will unlink the bars. Bright enough that the
 * playhead still mixes with it rather than replacing it (see isDim).
 */
export const LINKED_SHADE = 0.4;

/** How a lit step of bar 2 shows while it repeats bar 1. */
export function linkedColor(c: Rgb): Rgb {
  return scale(c, LINKED_SHADE);
}

/** The 16 LED colours for the present state, editor view and transport. Pure. */
export function gridColors(state: GestureState, ui: EditorUi, context: ViewContext = {}): Rgb[] {
  const first = ui.bar * STEPS_PER_BAR;
  let colors: Rgb[];
  if (context.take) colors = takeView(context.take, first);
  else if (ui.mode === 'accent') colors = accentView(state, first);
  else if (ui.mode === 'interpretation') colors = interpretationView(state, ui, first, context.interpretation ?? null);
  else colors = scoreView(state, ui, first);
  const playhead = context.take ? null : context.playheadStep;
  if (playhead != null && playhead >= first && playhead < first + STEPS_PER_BAR) {
    const k = playhead - first;
    colors[k] =
      colors[k] === OFF || isDim(colors[k]) ? PLAYHEAD_COLOR : mix(colors[k], { r: 255, g: 255, b: 255 }, 0.5);
  }
  return colors;
}

function scoreView(state: GestureState, ui: EditorUi, first: number): Rgb[] {
  const which = drumState(state, ui.drum);
  if (which === 'unspecified') return fill(UNSPECIFIED_COLOR);
  if (which === 'empty') return fill(EMPTY_COLOR);
  const row = state.scores[ui.drum]!;
  const color = repeatsBar1(state, first) ? linkedColor(DRUM_COLORS[ui.drum]) : DRUM_COLORS[ui.drum];
  return keys((k) => (row[first + k] > 0.5 ? color : OFF));
}

/** Bar 2 is shown and it is bar 1's repeat (a linked state always repeats: see controls/state.ts). */
function repeatsBar1(state: GestureState, first: number): boolean {
  return state.barsLinked && first >= STEPS_PER_BAR;
}

function accentView(state: GestureState, first: number): Rgb[] {
  // A drawn accent repeats bar 1 while linked; one from the taps follows the take's own two bars.
  const color =
    state.accentSource === 'taps'
      ? TAPS_ACCENT_COLOR
      : repeatsBar1(state, first)
        ? linkedColor(ACCENT_COLOR)
        : ACCENT_COLOR;
  return keys((k) => {
    const step = first + k;
    if (state.accent && state.accent[step] > 0.5) return color;
    // Where a tap landed but is not accented: a faint mark, so the accent can be read against the groove.
    if (state.groove && state.groove.hits[step] > 0.5) return scale(color, 0.12);
    return OFF;
  });
}

function interpretationView(
  state: GestureState,
  ui: EditorUi,
  first: number,
  interpretation: Interpretation | null,
): Rgb[] {
  if (!interpretation) return fill(OFF);
  if (ui.interpretationLayer === 'groove') {
    const g = interpretation.groove;
    if (!g) return fill(OFF);
    return keys((k) => {
      const s = first + k;
      if (g.hits[s] <= 0.5) return OFF;
      // Hue says timing (blue early, red late), brightness says velocity.
      const late = (g.offsets[s] + 1) / 2;
      return scale(
        { r: Math.round(255 * late), g: 40, b: Math.round(255 * (1 - late)) },
        0.15 + 0.85 * g.velocities[s],
      );
    });
  }
  const probabilities = interpretation.scores?.[ui.drum];
  if (!probabilities) return fill(OFF);
  const given = state.scores[ui.drum];
  return keys((k) => {
    const s = first + k;
    const p = probabilities[s];
    if (given && given[s] > 0.5) return p > 0.5 ? AGREE_COLOR : MISSED_COLOR;
    return p > 0.05 ? scale(MODEL_COLOR, p) : OFF;
  });
}

function takeView(take: NonNullable<ViewContext['take']>, first: number): Rgb[] {
  const { window, now, partial } = take;
  if (now < window.start) {
    // Count-in: the rows light up beat by beat over the last 4 beats before the take, one row each, so the
    // fourth row means "next beat". Counted back from the start: with the loop running the wait can be
    // longer than a bar, and is then shown by a dim first row until the count begins.
    const beat = window.stepDuration * 4;
    const beatsLeft = Math.ceil((window.start - now) / beat - 1e-9);
    if (beatsLeft > 4) return keys((k) => (k < 4 ? scale(COUNT_IN_COLOR, 0.2) : OFF));
    return keys((k) => (Math.floor(k / 4) <= 4 - beatsLeft ? COUNT_IN_COLOR : OFF));
  }
  const step = Math.floor((now - window.start) / window.stepDuration);
  const bar = step >= STEPS_PER_BAR ? STEPS_PER_BAR : 0;
  void first; // while recording the grid follows the bar being played, not the page
  return keys((k) => {
    const s = bar + k;
    if (s === step) return PLAYHEAD_COLOR;
    return partial.hits[s] > 0.5 ? scale(COUNT_IN_COLOR, 0.2 + 0.8 * partial.velocities[s]) : OFF;
  });
}

function keys(color: (k: number) => Rgb): Rgb[] {
  return Array.from({ length: GRID_KEYS }, (_, k) => color(k));
}

function fill(color: Rgb): Rgb[] {
  return keys(() => color);
}

function scale(c: Rgb, f: number): Rgb {
  const x = Math.max(0, Math.min(1, f));
  return { r: Math.round(c.r * x), g: Math.round(c.g * x), b: Math.round(c.b * x) };
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return {
    r: Math.round(a.r + (b.r - a.r) * t),
    g: Math.round(a.g + (b.g - a.g) * t),
    b: Math.round(a.b + (b.b - a.b) * t),
  };
}

function isDim(c: Rgb): boolean {
  return c.r + c.g + c.b < 100;
}
