// Control: how well a given Groove, Accent or per-drum row is followed, and what the model does with the rest.

import type { Player } from '../player.js';
import { DRUM_COUNT, DRUMS } from '../../pattern/drums.js';
import { accent, drumScores, groove, type Groove } from '../../pattern/gestures.js';
import { Pattern, STEPS } from '../../pattern/pattern.js';
import { countHits, emptyCounts, meanStd, prf, type PRF } from '../metrics.js';
import { generateAll, mixSeed, tagSeed } from '../windows.js';
import { HUMANIZE_RUNS, scoreGestures, type ExperimentContext } from './context.js';

const KICK = 0,
  SNARE = 1,
  CRASH = DRUMS.indexOf('crash');

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
