// The auxiliary decoders: with every gesture given, how well each reconstructs its own input.

import type { ModelConfig } from '../../model/config.js';
import type { Generated, Gestures } from '../../model/generator.js';
import type { Player } from '../player.js';
import { DRUMS } from '../../pattern/drums.js';
import { accent, drumScores, groove } from '../../pattern/gestures.js';
import { STEPS } from '../../pattern/pattern.js';
import { countHits, emptyCounts, meanStd, prf, type HitCounts, type PRF } from '../metrics.js';
import { generateAll, mixSeed, tagSeed, type EvalWindow } from '../windows.js';
import { hasFactor, scoreGestures, type ExperimentContext } from './context.js';

export interface AuxResult extends PRF {
  /** Probability threshold for a reconstructed hit, chosen on the validation split for the best F1. */
  threshold: number;
  /** Groove only: mean absolute error of velocity and offset at the real tapped steps. */
  velocityMAE?: number;
  offsetMAE?: number;
}

const AUX_THRESHOLDS = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];

/** Everything given from the window, so every auxiliary decoder reconstructs its input. */
function allGiven(model: Player, config: ModelConfig, w: EvalWindow): Gestures {
  const g: Gestures = { ...scoreGestures(model, w), groove: groove(w.pattern) };
  if (hasFactor(config, 'accent')) g.accent = accent(w.pattern);
  return g;
}

interface AuxCase {
  name: string;
  target: (w: EvalWindow) => Float32Array;
  predicted: (g: Generated) => Float32Array;
}

function auxCases(config: ModelConfig): AuxCase[] {
  const cases: AuxCase[] = [];
  for (const f of config.factors) {
    if (!f.auxiliary) continue;
    if (f.input === 'score')
      cases.push({ name: 'score', target: (w) => w.score, predicted: (g) => g.reconstructions.score! });
    else if (f.input === 'accent')
      cases.push({ name: 'accent', target: (w) => accent(w.pattern), predicted: (g) => g.reconstructions.accent! });
    else if (f.input === 'groove')
      cases.push({
        name: 'groove',
        target: (w) => groove(w.pattern).hits,
        predicted: (g) => g.reconstructions.groove!.hits,
      });
    else {
      const d = Number(f.input.slice(4));
      cases.push({
        name: DRUMS[d],
        target: (w) => drumScores(w.pattern)[d]!,
        predicted: (g) => g.reconstructions.drums![d]!,
      });
    }
  }
  return cases;
}

export function auxiliary(model: Player, ctx: ExperimentContext): Record<string, AuxResult> {
  const config = model.config;
  if (!config) return {};
  const cases = auxCases(config);
  if (cases.length === 0) return {};
  const run = (windows: EvalWindow[], tag: string) =>
    generateAll(
      model,
      windows.map((w) => allGiven(model, config, w)),
      mixSeed(ctx.seed, tagSeed(tag)),
      ctx.batchSize,
    );
  const validation = run(ctx.validation, 'aux-validation');
  const test = run(ctx.test, 'aux');
  const out: Record<string, AuxResult> = {};
  const counts = (windows: EvalWindow[], generated: Generated[], c: AuxCase, threshold: number): HitCounts => {
    const into = emptyCounts();
    windows.forEach((w, k) => countHits(into, c.target(w), c.predicted(generated[k]), threshold));
    return into;
  };
  for (const c of cases) {
    let best = AUX_THRESHOLDS[0],
      bestF1 = -1;
    for (const t of AUX_THRESHOLDS) {
      const f1 = prf(counts(ctx.validation, validation, c, t)).f1;
      if (f1 > bestF1) {
        bestF1 = f1;
        best = t;
      }
    }
    out[c.name] = { threshold: best, ...prf(counts(ctx.test, test, c, best)) };
    if (c.name === 'groove') {
      const vel: number[] = [],
        off: number[] = [];
      ctx.test.forEach((w, k) => {
        const real = groove(w.pattern);
        const rec = test[k].reconstructions.groove!;
        for (let s = 0; s < STEPS; s++) {
          if (real.hits[s] <= 0.5) continue;
          vel.push(Math.abs(rec.velocities[s] - real.velocities[s]));
          off.push(Math.abs(rec.offsets[s] - real.offsets[s]));
        }
      });
      out[c.name].velocityMAE = meanStd(vel).mean;
      out[c.name].offsetMAE = meanStd(off).mean;
    }
  }
  return out;
}
