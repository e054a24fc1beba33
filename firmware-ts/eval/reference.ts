/**
 * The real data's side of every measure: the figures each player is read against
 * (hits per window, spreads, two real samples' distance, the real accent contrast).
 */
import type { DatasetCache } from '../dataset/cache.js';

import { accent, groove, loudestDrum } from '../pattern/gestures.js';
import { DRUM_COUNT } from '../pattern/drums.js';
import { STEPS, type Pattern } from '../pattern/pattern.js';

import * as ex from './experiments.js';
import { meanStd, wasserstein1, type MeanStd } from './metrics.js';
import { accentFollowing, distribution, MIDI, type AccentFollowing } from './measures.js';
import type { TrainFit } from './non-neural.js';

import { hitValues, type HitValues } from '../pattern/hit-values.js';
import { evalWindows, type EvalWindow } from './windows.js';

export interface Reference {
  testHitsPerWindow: number;
  validationHitsPerWindow: number;
  /** Spread of the real test data, per drum and over all hits. */
  offsetStd: number;
  offsetStdPerDrum: number[];
  velocityStdPerDrum: number[];
  /** W1 between the real validation and test hits: the distance two real samples are apart (velocities 0..1). */
  floor: { offsetsW1Mean: number; velocitiesW1Mean: number };
  /** The same two real samples in issue 20's units (velocities in MIDI). */
  realVsReal: { offsetsW1: number; velocitiesW1: number };
  /** W1 of a quantized output (every offset 0) to the real test offsets. */
  quantizedOffsetsW1Mean: number;
  /** Offsets of real off-beat hits (where the swing outputs would regress to) and of on-beat hits. */
  realOffBeat: MeanStd;
  realOnBeat: MeanStd;
  /** Velocity of the fixed swing Grooves: the mean tapped velocity of the validation windows. */
  swingVelocity: number;
  /** The real windows with their own accents (the paper's accent rule): the accent contrast drummers play. */
  realAccent: AccentFollowing;
  realHitsPerWindowPerDrum: number[];
  /** The quantized player's constant velocity, MIDI. */
  quantizedVelocity: number;
  /** What the own-groove offset error can reach: see ownGrooveFloor. */
  ownGrooveFloor: OwnGrooveFloor;
}

/**
 * The own-groove measure's floor. A groove is each step's loudest note, so a player given
 * it knows those notes exactly (error 0) and nothing about the step's other notes but
 * that they share the step. Its error over all hits is the others' share times its error
 * on them; the best of a few simple predictors of those notes (the tapped offset, scaled
 * by a factor fitted on train) says how low that error goes without knowing the drummer.
 */
export interface OwnGrooveFloor {
  /** Share of the real test hits that are not their step's loudest note. */
  othersShare: number;
  /** Offset error on those notes of the groove template (the tapped offset). */
  templateOnOthers: number;
  /** The same with the tapped offset times `shrink`, fitted on train windows. */
  shrunkOnOthers: number;
  shrink: number;
}

export function makeReference(
  cache: DatasetCache,
  ctx: ex.ExperimentContext,
  realTest: HitValues,
  fit: TrainFit,
  limit: number | undefined,
): Reference {
  const validationPatterns = evalWindows(cache, 'validation', limit).map((w) => w.pattern);
  const realValidation = hitValues(validationPatterns);
  const testPatterns = ctx.test.map((w) => w.pattern);
  const realVsReal = distribution(testPatterns, validationPatterns);
  const weightedW1 = (a: number[][], b: number[][]) => {
    let sum = 0,
      weight = 0;
    b.forEach((real, d) => {
      if (real.length && a[d].length) {
        sum += wasserstein1(a[d], real) * real.length;
        weight += real.length;
      }
    });
    return weight ? sum / weight : NaN;
  };
  let grooveVelocity = 0,
    taps = 0;
  for (const w of ctx.validation) {
    const g = groove(w.pattern);
    for (let s = 0; s < STEPS; s++)
      if (g.hits[s] > 0.5) {
        grooveVelocity += g.velocities[s];
        taps++;
      }
  }
  if (taps === 0)
    throw new Error('evaluate: the validation windows hold no hits, so the swing Grooves have no velocity to use');
  return {
    testHitsPerWindow: realTest.hits / ctx.test.length,
    validationHitsPerWindow: hitValues(ctx.validation.map((w) => w.pattern)).hits / ctx.validation.length,
    offsetStd: meanStd(realTest.offsets.flat()).std,
    offsetStdPerDrum: realTest.offsets.map((o) => meanStd(o).std),
    velocityStdPerDrum: realTest.velocities.map((v) => meanStd(v).std),
    floor: {
      offsetsW1Mean: weightedW1(realValidation.offsets, realTest.offsets),
      velocitiesW1Mean: weightedW1(realValidation.velocities, realTest.velocities),
    },
    quantizedOffsetsW1Mean: weightedW1(
      realTest.offsets.map((o) => o.map(() => 0)),
      realTest.offsets,
    ),
    realOffBeat: meanStd(ex.offBeatOffsets(ctx.test.map((w: EvalWindow) => w.pattern))),
    realOnBeat: meanStd(
      ex.offBeatOffsets(
        ctx.test.map((w: EvalWindow) => w.pattern),
        0,
      ),
    ),
    swingVelocity: grooveVelocity / taps,
    realVsReal: { offsetsW1: realVsReal.offsetsW1, velocitiesW1: realVsReal.velocitiesW1 },
    realAccent: accentFollowing(
      testPatterns,
      testPatterns.map((p) => accent(p)),
    ),
    realHitsPerWindowPerDrum: realTest.offsets.map((o) => o.length / ctx.test.length),
    quantizedVelocity: fit.meanVelocity * MIDI,
    ownGrooveFloor: ownGrooveFloor(
      evalWindows(cache, 'train', 2000).map((w) => w.pattern),
      testPatterns,
    ),
  };
}

/** Each note that is not its step's loudest, with the step's tapped (groove) offset. */
function otherNotes(patterns: Pattern[]): { tapped: number; played: number }[] {
  const out: { tapped: number; played: number }[] = [];
  for (const p of patterns) {
    const g = groove(p);
    for (let s = 0; s < STEPS; s++) {
      const loudest = loudestDrum(p, s);
      for (let d = 0; d < DRUM_COUNT; d++) {
        if (d !== loudest && p.hit(s, d)) out.push({ tapped: g.offsets[s], played: p.offset(s, d) });
      }
    }
  }
  return out;
}

function ownGrooveFloor(train: Pattern[], test: Pattern[]): OwnGrooveFloor {
  const error = (notes: { tapped: number; played: number }[], k: number) =>
    notes.reduce((a, n) => a + Math.abs(n.played - k * n.tapped), 0) / Math.max(1, notes.length);
  const fitted = otherNotes(train);
  let shrink = 1;
  for (let k = 0; k <= 1.0001; k += 0.05) if (error(fitted, k) < error(fitted, shrink)) shrink = k;
  const others = otherNotes(test);
  const all = test.reduce((a, p) => a + Array.from(p.hits).filter((h) => h > 0.5).length, 0);
  return {
    othersShare: others.length / Math.max(1, all),
    templateOnOthers: error(others, 1),
    shrunkOnOthers: error(others, shrink),
    shrink: Number(shrink.toFixed(2)),
  };
}
