import { DRUM_COUNT } from '../pattern/drums.js';
import { STEPS_PER_BAR } from '../pattern/pattern.js';
import {
  clearAccent,
  clearDrum,
  copyAccentBar,
  copyBar,
  releaseDrum,
  setAccentSource,
  toggleAccent,
  toggleStep,
  type GestureState,
} from './state.js';

/** What the grid is editing or showing. Plain data, like the state. */
export interface EditorUi {
  mode: EditorMode;
  /** The drum being edited (0..8, DRUMS order). */
  drum: number;
  /** The bar shown on the 16 keys: 0 = bar 1, 1 = bar 2. */
  bar: 0 | 1;
  /** In interpretation mode: the selected drum's reconstructed score, or the reconstructed groove. */
  interpretationLayer: 'score' | 'groove';
}

export type EditorMode = 'score' | 'accent' | 'interpretation';
export const EDITOR_MODES: readonly EditorMode[] = ['score', 'accent', 'interpretation'];

export function initialUi(): EditorUi {
  return { mode: 'score', drum: 0, bar: 0, interpretationLayer: 'score' };
}

/**
 * The SHIFT layer of the 16 keys. Keys 1-9 select a drum; the bottom rows
 * hold the commands. Written as a table so the panel can print the legend.
 */
export const SHIFT_KEYS: Readonly<Record<number, string>> = {
  0: 'kick',
  1: 'snare',
  2: 'closed hat',
  3: 'open hat',
  4: 'low tom',
  5: 'mid tom',
  6: 'high tom',
  7: 'crash',
  8: 'ride',
  9: 'accent from taps (interpretation: show groove)',
  10: 'accent drawn on the grid',
  11: 'release drum: the model decides',
  12: 'show bar 1',
  13: 'show bar 2',
  14: 'copy bar 1 to bar 2',
  15: 'clear: "no <drum>" (accent mode: no accent)',
};

export interface Edit {
  state: GestureState;
  ui: EditorUi;
  /** What happened, for logs and the panel ("kick step 5 on"). */
  action: string;
}

/** A key press on the grid (releases do nothing). Pure. */
export function pressKey(state: GestureState, ui: EditorUi, key: number, shift: boolean): Edit {
  if (!Number.isInteger(key) || key < 0 || key >= STEPS_PER_BAR)
    throw new RangeError(`grid key ${key}: expected 0..${STEPS_PER_BAR - 1}`);
  return shift ? shiftKey(state, ui, key) : plainKey(state, ui, key);
}

/** MODE cycles score -> accent -> interpretation. */
export function nextMode(ui: EditorUi): EditorUi {
  return { ...ui, mode: EDITOR_MODES[(EDITOR_MODES.indexOf(ui.mode) + 1) % EDITOR_MODES.length] };
}

/** PAGE flips between bar 1 and bar 2. */
export function flipPage(ui: EditorUi): EditorUi {
  return { ...ui, bar: ui.bar === 0 ? 1 : 0 };
}

function plainKey(state: GestureState, ui: EditorUi, key: number): Edit {
  const step = ui.bar * STEPS_PER_BAR + key;
  if (ui.mode === 'score') {
    const next = toggleStep(state, ui.drum, step);
    return {
      state: next,
      ui,
      action: `drum ${ui.drum} step ${step + 1} ${next.scores[ui.drum]![step] ? 'on' : 'off'}`,
    };
  }
  if (ui.mode === 'accent') {
    const next = toggleAccent(state, step);
    return { state: next, ui, action: `accent step ${step + 1} ${next.accent![step] ? 'on' : 'off'}` };
  }
  return { state, ui, action: 'interpretation view: keys do not edit' };
}

function shiftKey(state: GestureState, ui: EditorUi, key: number): Edit {
  if (key < DRUM_COUNT) {
    // Selecting a drum from the accent or interpretation view returns to the score of that drum.
    const mode = ui.mode === 'interpretation' ? 'interpretation' : 'score';
    return { state, ui: { ...ui, drum: key, mode, interpretationLayer: 'score' }, action: `drum ${key} selected` };
  }
  switch (key) {
    case 9:
      if (ui.mode === 'interpretation')
        return {
          state,
          ui: { ...ui, interpretationLayer: 'groove' },
          action: 'showing the groove as the model heard it',
        };
      return { state: setAccentSource(state, 'taps'), ui: { ...ui, mode: 'accent' }, action: 'accent from taps' };
    case 10:
      return {
        state: setAccentSource(state, 'grid'),
        ui: { ...ui, mode: 'accent' },
        action: 'accent drawn on the grid',
      };
    case 11:
      return { state: releaseDrum(state, ui.drum), ui, action: `drum ${ui.drum} released to the model` };
    case 12:
      return { state, ui: { ...ui, bar: 0 }, action: 'bar 1' };
    case 13:
      return { state, ui: { ...ui, bar: 1 }, action: 'bar 2' };
    case 14:
      if (ui.mode === 'accent') return { state: copyAccentBar(state), ui, action: 'accent bar 1 copied to bar 2' };
      return { state: copyBar(state, ui.drum), ui, action: `drum ${ui.drum} bar 1 copied to bar 2` };
    default:
      if (ui.mode === 'accent') return { state: clearAccent(state), ui, action: 'accent cleared' };
      return { state: clearDrum(state, ui.drum), ui, action: `drum ${ui.drum} cleared (specified: do not play)` };
  }
}
