import { DRUM_COUNT } from '../pattern/drums.js';
import { Pattern, STEPS } from '../pattern/pattern.js';
import type { GestureState } from '../controls/state.js';

/**
 * The box without a model: a plain step sequencer. Every specified drum plays
 * its programmed steps at one velocity, on the grid (no microtiming);
 * unspecified drums stay silent, because without a model nobody can decide
 * for them.
 */
export function scoreAsPattern(state: GestureState, velocity: number): Pattern {
  const pattern = new Pattern();
  for (let drum = 0; drum < DRUM_COUNT; drum++) {
    const row = state.scores[drum];
    if (!row) continue;
    for (let step = 0; step < STEPS; step++) if (row[step] > 0.5) pattern.set(step, drum, velocity, 0);
  }
  return pattern;
}
