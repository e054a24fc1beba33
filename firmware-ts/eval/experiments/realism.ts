// Realism: how far generated hits lie from the real test hits (Wasserstein-1 per drum), and free sampling.

import type { Gestures } from '../../model/generator.js';
import type { Player } from '../player.js';
import { Pattern } from '../../pattern/pattern.js';
import { meanStd, wasserstein1 } from '../metrics.js';
import { hitValues, type HitValues } from '../../pattern/hit-values.js';
import { generateAll, mixSeed, tagSeed } from '../windows.js';
import { type ExperimentContext } from './context.js';

export interface Realism {
  /** Wasserstein-1 to the real test hits, per drum (null where either side has no hit). */
  offsetsW1: (number | null)[];
  velocitiesW1: (number | null)[];
  /** Per-drum W1 averaged with the real data's share of hits as weights. */
  offsetsW1Mean: number;
  velocitiesW1Mean: number;
  hitsPerWindow: number;
  offsetStd: number;
}

export function realism(real: HitValues, generated: readonly Pattern[], windows: number): Realism {
  const gen = hitValues(generated);
  const w1 = (key: 'offsets' | 'velocities') =>
    real[key].map((r, d) => (r.length && gen[key][d].length ? wasserstein1(gen[key][d], r) : null));
  const weighted = (per: (number | null)[]) => {
    let sum = 0,
      weight = 0;
    per.forEach((v, d) => {
      if (v !== null) {
        sum += v * real.offsets[d].length;
        weight += real.offsets[d].length;
      }
    });
    return weight ? sum / weight : NaN;
  };
  const offsetsW1 = w1('offsets');
  const velocitiesW1 = w1('velocities');
  return {
    offsetsW1,
    velocitiesW1,
    offsetsW1Mean: weighted(offsetsW1),
    velocitiesW1Mean: weighted(velocitiesW1),
    hitsPerWindow: gen.hits / windows,
    offsetStd: meanStd(gen.offsets.flat()).std,
  };
}

/** Nothing given: every latent drawn from the prior. */
export function freeSample(
  model: Player,
  count: number,
  seed: number,
  batchSize: number,
  hits: 'threshold' | 'sample',
): Pattern[] {
  const requests: Gestures[] = Array.from({ length: count }, () => ({}));
  return generateAll(model, requests, mixSeed(seed, tagSeed('free')), batchSize, { hits }).map((g) => g.pattern);
}

/**
 * Free sampling's hit decision, chosen on the validation split: thresholding
 * the decoder's hit probabilities or sampling them, whichever gives a number
 * of hits per window closer to the real validation windows'.
 */
export function chooseFreeHits(
  model: Player,
  ctx: ExperimentContext,
): { hits: 'threshold' | 'sample'; perWindow: Record<string, number>; real: number } {
  const real = hitValues(ctx.validation.map((w) => w.pattern)).hits / ctx.validation.length;
  const perWindow: Record<string, number> = {};
  for (const mode of ['threshold', 'sample'] as const) {
    const patterns = freeSample(
      model,
      ctx.validation.length,
      mixSeed(ctx.seed, tagSeed('validation')),
      ctx.batchSize,
      mode,
    );
    perWindow[mode] = hitValues(patterns).hits / patterns.length;
  }
  const hits = Math.abs(perWindow.sample - real) < Math.abs(perWindow.threshold - real) ? 'sample' : 'threshold';
  return { hits, perWindow, real };
}
