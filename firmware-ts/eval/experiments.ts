import type { ModelConfig } from '../model/config.js';
import type { Generated, Gestures } from '../model/generator.js';
import type { Player } from './player.js';
import { DRUM_COUNT, DRUMS } from '../pattern/drums.js';
import { accent, drumScores, emptyGroove, groove, type Groove } from '../pattern/gestures.js';
import { Pattern, STEPS } from '../pattern/pattern.js';
import {
  countHits,
  emptyCounts,
  histogram,
  meanCI95,
  meanStd,
  prf,
  wasserstein1,
  windowDiversity,
  type HitCounts,
  type MeanCI,
  type MeanStd,
  type PRF,
} from './metrics.js';
import { generateAll, hitValues, mixSeed, tagSeed, type EvalWindow, type HitValues } from './windows.js';

/** What every experiment needs: the windows, a seed and the batch size. */
export interface ExperimentContext {
  test: EvalWindow[];
  validation: EvalWindow[];
  seed: number;
  batchSize: number;
}

/** Table 1 repeats each humanization this many times, as the paper did. */
export const HUMANIZE_RUNS = 5;
/** Table 2's target swing amounts (ours: positive = late; the paper's -0.05/-0.2/-0.4 in Magenta's sign). */
export const SWING_TARGETS = [0.05, 0.2, 0.4] as const;
/** Issue 20's additions to Table 2: a groove rushed 0.2 early on the off-beats, and a straight one. */
export const SWING_EXTRA_TARGETS = [-0.2, 0] as const;
export const ALL_SWING_TARGETS = [...SWING_TARGETS, ...SWING_EXTRA_TARGETS] as const;
export const SWING_BINS = { lo: -1, hi: 1, bins: 40 };
const KICK = 0,
  SNARE = 1,
  CRASH = DRUMS.indexOf('crash');

const hasFactor = (c: ModelConfig, input: string) => c.factors.some((f) => f.input === input);

/**
 * The Score of a window in the form each player takes it: all nine drum rows
 * for players that read per-drum rows (the 11-input models, the non-neural
 * players), the score for the score-input models.
 */
export function scoreGestures(player: Player, w: EvalWindow): Gestures {
  return player.reads.drumRows ? { drums: drumScores(w.pattern) } : { score: w.score };
}

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

// ---------------------------------------------------------------- realism

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

// ---------------------------------------------------------------- Table 2 / Figure 3

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

// ---------------------------------------------------------------- control

/** Mean |offset - tapped offset| over the hits played at the groove's tapped steps. */
export function grooveDeviation(patterns: readonly Pattern[], grooves: readonly Groove[]): number {
  const values: number[] = [];
  patterns.forEach((p, k) => {
    for (let s = 0; s < STEPS; s++) {
      if (grooves[k].hits[s] <= 0.5) continue;
      for (let d = 0; d < DRUM_COUNT; d++)
        if (p.hit(s, d)) values.push(Math.abs(p.offset(s, d) - grooves[k].offsets[s]));
    }
  });
  return meanStd(values).mean;
}

/** Mean velocity of hits on accented and on unaccented steps. */
export function accentVelocities(
  patterns: readonly Pattern[],
  accents: readonly Float32Array[],
): { accented: number; unaccented: number } {
  const on: number[] = [],
    off: number[] = [];
  patterns.forEach((p, k) => {
    for (let s = 0; s < STEPS; s++)
      for (let d = 0; d < DRUM_COUNT; d++) if (p.hit(s, d)) (accents[k][s] > 0.5 ? on : off).push(p.velocity(s, d));
  });
  return { accented: meanStd(on).mean, unaccented: meanStd(off).mean };
}

export interface GrooveControl {
  /** The window's own Groove (its squashed performance) given as the tap. */
  given: number;
  /** Same windows with the Groove left to the prior (the humanization runs). */
  notGiven: number;
  /** The real windows against their own Groove (other drums at a tapped step differ from the loudest). */
  real: number;
}

/** Each test window's own Score and own Groove given (the groove the window was played with), optionally forced. */
export function ownScoreAndGroove(model: Player, ctx: ExperimentContext, keepGiven = false): Pattern[] {
  const requests = ctx.test.map((w) => ({ ...scoreGestures(model, w), groove: groove(w.pattern) }));
  return generateAll(model, requests, mixSeed(ctx.seed, tagSeed('groove')), ctx.batchSize, { keepGiven }).map(
    (g) => g.pattern,
  );
}

/** The Score alone, once, with the given hits forced (keepGiven: how the box plays a score). */
export function humanizeForced(model: Player, ctx: ExperimentContext): Pattern[] {
  const requests = ctx.test.map((w) => scoreGestures(model, w));
  return generateAll(model, requests, mixSeed(ctx.seed, tagSeed('humanize'), 0), ctx.batchSize, {
    keepGiven: true,
  }).map((g) => g.pattern);
}

/** Each window's Score with an Accent on the "e" of every beat. */
export function accentOnE(model: Player, ctx: ExperimentContext, accentGiven: Float32Array): Pattern[] {
  const requests = ctx.test.map((w) => ({ ...scoreGestures(model, w), accent: accentGiven }));
  return generateAll(model, requests, mixSeed(ctx.seed, tagSeed('accent-e')), ctx.batchSize).map((g) => g.pattern);
}

/** Drumify: only each window's own Groove given. */
export function drumifyOwnGroove(model: Player, ctx: ExperimentContext): Pattern[] {
  const requests = ctx.test.map((w) => ({ groove: groove(w.pattern) }));
  return generateAll(model, requests, mixSeed(ctx.seed, tagSeed('drumify')), ctx.batchSize).map((g) => g.pattern);
}

/** `out`: the outputs of ownScoreAndGroove (unforced). */
export function grooveControl(ctx: ExperimentContext, out: Pattern[], humanized: Pattern[]): GrooveControl {
  const grooves = ctx.test.map((w) => groove(w.pattern));
  return {
    given: grooveDeviation(out, grooves),
    notGiven: grooveDeviation(humanized, grooves),
    real: grooveDeviation(
      ctx.test.map((w) => w.pattern),
      grooves,
    ),
  };
}

export interface AccentControl {
  given: { accented: number; unaccented: number };
  notGiven: { accented: number; unaccented: number };
  real: { accented: number; unaccented: number };
}

export function accentControl(model: Player, ctx: ExperimentContext, humanized: Pattern[]): AccentControl {
  const accents = ctx.test.map((w) => accent(w.pattern));
  const requests = ctx.test.map((w, k) => ({ ...scoreGestures(model, w), accent: accents[k] }));
  const out = generateAll(model, requests, mixSeed(ctx.seed, tagSeed('accent')), ctx.batchSize).map((g) => g.pattern);
  return {
    given: accentVelocities(out, accents),
    notGiven: accentVelocities(humanized, accents),
    real: accentVelocities(
      ctx.test.map((w) => w.pattern),
      accents,
    ),
  };
}

/** Hit F1 of each drum against its given row, over all runs. */
export function perDrumF1(
  ctx: ExperimentContext,
  runs: Pattern[][],
  drums: readonly number[] = DRUMS.map((_, d) => d),
): Record<string, PRF> {
  const out: Record<string, PRF> = {};
  for (const d of drums) {
    const c = emptyCounts();
    const cells = Array.from({ length: STEPS }, (_, s) => s * DRUM_COUNT + d);
    for (const run of runs) ctx.test.forEach((w, k) => countHits(c, w.score, run[k].hits, 0.5, cells));
    out[DRUMS[d]] = prf(c);
  }
  return out;
}

export interface DrumControl {
  /** All nine drums given from the score (the humanization runs): F1 per drum. */
  allGiven: Record<string, PRF>;
  /** Kick and snare given, crash given as an all-zero row, the rest unspecified. */
  kickSnare: {
    f1: Record<string, PRF>;
    crashHitsPerWindow: number;
    realCrashHitsPerWindow: number;
    /** Mean number of hit cells that differ between two seeds' outputs of one window, per drum group. */
    cellsChangedAcrossSeeds: { unspecified: number; given: number };
    /** Share of (window, seed pair) whose unspecified drums differ at all. */
    unspecifiedVaried: number;
  };
}

export function drumControl(model: Player, ctx: ExperimentContext, humanized: Pattern[][]): DrumControl {
  const empty = new Float32Array(STEPS);
  const requests = ctx.test.map((w) => {
    const all = drumScores(w.pattern);
    const drums = all.map((row, d) => (d === KICK || d === SNARE ? row : d === CRASH ? empty : null));
    return { drums };
  });
  const runs = Array.from({ length: HUMANIZE_RUNS }, (_, run) =>
    generateAll(model, requests, mixSeed(ctx.seed, tagSeed('kick+snare'), run), ctx.batchSize).map((g) => g.pattern),
  );
  let crash = 0;
  for (const run of runs) for (const p of run) for (let s = 0; s < STEPS; s++) if (p.hit(s, CRASH)) crash++;
  let realCrash = 0;
  for (const w of ctx.test) for (let s = 0; s < STEPS; s++) if (w.pattern.hit(s, CRASH)) realCrash++;
  const givenDrums = [KICK, SNARE, CRASH];
  let changedUnspecified = 0,
    changedGiven = 0,
    varied = 0,
    pairs = 0;
  ctx.test.forEach((_, k) => {
    for (let a = 0; a < runs.length; a++) {
      for (let b = a + 1; b < runs.length; b++) {
        let u = 0,
          g = 0;
        for (let i = 0; i < STEPS * DRUM_COUNT; i++) {
          if (runs[a][k].hits[i] > 0.5 === runs[b][k].hits[i] > 0.5) continue;
          if (givenDrums.includes(i % DRUM_COUNT)) g++;
          else u++;
        }
        changedUnspecified += u;
        changedGiven += g;
        if (u > 0) varied++;
        pairs++;
      }
    }
  });
  return {
    allGiven: perDrumF1(ctx, humanized),
    kickSnare: {
      f1: perDrumF1(ctx, runs, [KICK, SNARE]),
      crashHitsPerWindow: crash / (runs.length * ctx.test.length),
      realCrashHitsPerWindow: realCrash / ctx.test.length,
      cellsChangedAcrossSeeds: { unspecified: changedUnspecified / pairs, given: changedGiven / pairs },
      unspecifiedVaried: varied / pairs,
    },
  };
}

// ---------------------------------------------------------------- auxiliary decoders

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
