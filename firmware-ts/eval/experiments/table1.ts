// Table 1: humanizing every test window's Score several times; the diversity of the timing between runs, and
// how faithfully the Score is kept.

import type { Player } from '../player.js';
import { Pattern } from '../../pattern/pattern.js';
import { countHits, emptyCounts, meanCI95, prf, windowDiversity, type MeanCI, type PRF } from '../metrics.js';
import { generateAll, mixSeed, tagSeed } from '../windows.js';
import { HUMANIZE_RUNS, scoreGestures, type ExperimentContext } from './context.js';

/**
 * Table 1's humanization of every test window, `HUMANIZE_RUNS` times. The
 * baseline has a single latent, so its variety can only come from sampling its
 * posterior; the factorized models keep the Score's posterior mean and draw
 * the unspecified factors (Groove, and Accent for ag11) from the prior.
 */
export function humanize(model: Player, ctx: ExperimentContext): Pattern[][] {
  const requests = ctx.test.map((w) => scoreGestures(model, w));
  const posterior = model.kind === 'model' && model.name === 'baseline' ? 'sample' : 'mean';
  return Array.from({ length: HUMANIZE_RUNS }, (_, run) =>
    generateAll(model, requests, mixSeed(ctx.seed, tagSeed('humanize'), run), ctx.batchSize, { posterior }).map(
      (g) => g.pattern,
    ),
  );
}

export interface DiversityResult extends MeanCI {
  /** Share of the Score's hits played by at least two of the five runs (the cells the metric can use). */
  cellsUsed: number;
  /** The same metric with a dropped note counted as offset 0 (every Score cell used). */
  zeroFilled: MeanCI;
}

export function diversity(ctx: ExperimentContext, runs: Pattern[][]): DiversityResult {
  const perWindow: number[] = [],
    zeroFilled: number[] = [];
  let used = 0,
    cells = 0;
  ctx.test.forEach((w, k) => {
    const hits = runs.map((r) => r[k].hits);
    const d = windowDiversity(
      w.score,
      hits,
      runs.map((r) => r[k].offsets),
    );
    zeroFilled.push(
      windowDiversity(
        w.score,
        hits,
        runs.map((r) => r[k].offsets),
        'zero',
      ),
    );
    for (let i = 0; i < w.score.length; i++) {
      if (w.score[i] <= 0.5) continue;
      cells++;
      if (hits.filter((h) => h[i] > 0.5).length >= 2) used++;
    }
    if (!Number.isNaN(d)) perWindow.push(d);
  });
  return {
    ...meanCI95(perWindow),
    cellsUsed: cells ? used / cells : NaN,
    zeroFilled: meanCI95(zeroFilled.filter((x) => !Number.isNaN(x))),
  };
}

/** Generated hits against the given score, over all runs (micro average). */
export function scoreFidelity(ctx: ExperimentContext, runs: Pattern[][]): PRF {
  const c = emptyCounts();
  for (const run of runs) ctx.test.forEach((w, k) => countHits(c, w.score, run[k].hits));
  return prf(c);
}
