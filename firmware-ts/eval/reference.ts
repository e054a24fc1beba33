/**
 * The real data's side of every measure: the figures each player is read against
 * (hits per window, spreads, two real samples' distance, the real accent contrast).
 */
import type { DatasetCache } from '../dataset/cache.js';

import { accent, groove } from '../pattern/gestures.js';
import { STEPS } from '../pattern/pattern.js';

import * as ex from './experiments.js';
import { meanStd, wasserstein1, type MeanStd } from './metrics.js';
import { accentFollowing, distribution, MIDI, type AccentFollowing } from './measures.js';
import type { TrainFit } from './non-neural.js';

import { hitValues, type HitValues } from '../pattern/hit-values.js';
import { evalWindows, type EvalWindow } from './windows.js';
import { ownGrooveFloor, type OwnGrooveFloor } from './own-groove-floor.js';

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
  /** What the own-groove offset error can reach: see own-groove-floor.ts. */
  ownGrooveFloor: OwnGrooveFloor;
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
