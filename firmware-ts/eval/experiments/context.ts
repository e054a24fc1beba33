// What every experiment shares: its context (windows, seed, batch size), Table 1's run count, and a
// window's Score in the form each player takes it.

import type { ModelConfig } from '../../model/config.js';
import type { Gestures } from '../../model/generator.js';
import type { Player } from '../player.js';
import { drumScores } from '../../pattern/gestures.js';
import { type EvalWindow } from '../windows.js';

/** What every experiment needs: the windows, a seed and the batch size. */
export interface ExperimentContext {
  test: EvalWindow[];
  validation: EvalWindow[];
  seed: number;
  batchSize: number;
}

/** Table 1 repeats each humanization this many times, as the paper did. */
export const HUMANIZE_RUNS = 5;

export const hasFactor = (c: ModelConfig, input: string) => c.factors.some((f) => f.input === input);

/**
 * The Score of a window in the form each player takes it: all nine drum rows
 * for players that read per-drum rows (the 11-input models, the non-neural
 * players), the score for the score-input models.
 */
export function scoreGestures(player: Player, w: EvalWindow): Gestures {
  return player.reads.drumRows ? { drums: drumScores(w.pattern) } : { score: w.score };
}
