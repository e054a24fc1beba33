// The report's two figures (Table 1's bars, Figure 3's histograms) and the paper's numbers they are drawn beside.

import type { ModelName } from '../model/config.js';
import type { EvaluationResults } from './evaluate.js';
import { ALL_SWING_TARGETS, SWING_BINS } from './experiments.js';
import { evaluated, models } from './report-tables.js';
import { barChart, histogramPanels } from './svg.js';

/** The paper's Table 1 (std of timing offsets, offsets in [-1, 1]); the 11-input model was not measured there. */
export const PAPER_TABLE1: Partial<Record<ModelName, { mean: number; pm: number; label: string }>> = {
  baseline: { mean: 0.061, pm: 0.001, label: 'Baseline VAE' },
  fvae2: { mean: 0.2, pm: 0.002, label: 'Factorized VAE' },
  ag2: { mean: 0.222, pm: 0.002, label: 'Factorized VAE + Auxiliary Decoders' },
};

export const FIGURES = { table1: 'table1-diversity.svg', figure3: 'figure3-swing.svg' };

export function table1Figure(r: EvaluationResults): string {
  const bars = evaluated(r).map((n) => {
    const d = r.players[n].diversity;
    return { label: n, value: d.mean, ci: d.ci95, reference: PAPER_TABLE1[n as ModelName]?.mean };
  });
  return barChart(
    'Table 1: diversity of humanization (std of 5 offsets per Score hit)',
    bars,
    'std of timing offsets',
    "paper's Table 1",
  );
}

export function figure3(r: EvaluationResults): string {
  const shown = models(r).filter((n) => r.players[n].swing);
  const panels = ALL_SWING_TARGETS.map((t) => ({
    title: t < 0 ? `target ${-t} early (rushed)` : t === 0 ? 'target 0 (straight)' : `target swing ${t} (late)`,
    lo: SWING_BINS.lo,
    hi: SWING_BINS.hi,
    marker: t,
    series: shown.map((n) => ({ label: n, counts: r.players[n].swing![String(t)].histogram })),
  }));
  return histogramPanels(
    'Figure 3: generated off-beat offsets for fixed swing Grooves',
    panels,
    'offset (1 = half a 16th late)',
  );
}
