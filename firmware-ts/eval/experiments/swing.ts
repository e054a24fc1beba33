// Table 2 and Figure 3: a swing Groove applied with every test window's Score, and the off-beat offsets played.

import type { Player } from '../player.js';
import { DRUM_COUNT } from '../../pattern/drums.js';
import { emptyGroove, type Groove } from '../../pattern/gestures.js';
import { Pattern, STEPS } from '../../pattern/pattern.js';
import { histogram, meanStd, type MeanStd } from '../metrics.js';
import { generateAll, mixSeed, tagSeed } from '../windows.js';
import { scoreGestures, type ExperimentContext } from './context.js';

/** Table 2's target swing amounts (ours: positive = late; the paper's -0.05/-0.2/-0.4 in Magenta's sign). */
export const SWING_TARGETS = [0.05, 0.2, 0.4] as const;
/** Issue 20's additions to Table 2: a groove rushed 0.2 early on the off-beats, and a straight one. */
export const SWING_EXTRA_TARGETS = [-0.2, 0] as const;
export const ALL_SWING_TARGETS = [...SWING_TARGETS, ...SWING_EXTRA_TARGETS] as const;
export const SWING_BINS = { lo: -1, hi: 1, bins: 40 };

/** One hit per 16th: offset 0 on the on-beats, `t` on every off-beat (odd steps). */
export function swingGroove(t: number, velocity: number): Groove {
  const g = emptyGroove();
  for (let s = 0; s < STEPS; s++) {
    g.hits[s] = 1;
    g.velocities[s] = velocity;
    g.offsets[s] = s % 2 === 1 ? t : 0;
  }
  return g;
}

/** Offsets of every generated hit on an off-beat (odd step), any drum; `from = 0` gives the on-beats instead. */
export function offBeatOffsets(patterns: readonly Pattern[], from = 1): number[] {
  const out: number[] = [];
  for (const p of patterns) {
    for (let s = from; s < STEPS; s += 2)
      for (let d = 0; d < DRUM_COUNT; d++) if (p.hit(s, d)) out.push(p.offset(s, d));
  }
  return out;
}

export interface SwingResult extends MeanStd {
  target: number;
  absError: number;
  /**
   * Mean offset of the on-beat hits of the same outputs. The dataset's drummers play
   * early on average (on-beats too), so off-beat minus on-beat separates the swing
   * the Groove asked for from that overall lean.
   */
  onBeatMean: number;
  histogram: number[];
}

export function swing(model: Player, ctx: ExperimentContext, velocity: number): Record<string, SwingResult> {
  const out: Record<string, SwingResult> = {};
  for (const t of ALL_SWING_TARGETS) {
    const g = swingGroove(t, velocity);
    const requests = ctx.test.map((w) => ({ ...scoreGestures(model, w), groove: g }));
    const patterns = generateAll(
      model,
      requests,
      mixSeed(ctx.seed, tagSeed('swing'), Math.round(t * 1000)),
      ctx.batchSize,
    ).map((x) => x.pattern);
    const offsets = offBeatOffsets(patterns);
    const stats = meanStd(offsets);
    out[String(t)] = {
      ...stats,
      target: t,
      absError: Math.abs(stats.mean - t),
      onBeatMean: meanStd(offBeatOffsets(patterns, 0)).mean,
      histogram: histogram(offsets, SWING_BINS.lo, SWING_BINS.hi, SWING_BINS.bins),
    };
  }
  return out;
}
