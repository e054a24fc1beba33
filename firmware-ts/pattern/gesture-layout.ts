import { DRUM_COUNT } from './drums.js';
import { accent, groove, score, type Accent, type DrumScores, type Groove, type Score } from './gestures.js';
import { STEPS } from './pattern.js';
import { PATTERN_TENSOR_SIZE, tensorDataToPattern } from './tensor-layout.js';

/**
 * The one place that owns how gestures are laid out in arrays, in both
 * directions: a groove packed per step as [hit, velocity, offset], a score
 * (index step * 9 + drum) split into per-drum rows and joined back, and the
 * batches training reads. Everything that hands gestures to a model (the box,
 * the CLI, the generator, training and evaluation) goes through here, so a
 * layout change is made once.
 */

/**
 * What the performer gave, the one shape the box, the CLI, the generator and
 * the evaluation share. Anything left out (or null) is unspecified: its latent
 * is sampled from the prior. For per-drum models, `drums[d] = null` means "the
 * model decides", an all-zero row means "do not play this drum".
 */
export interface Gestures {
  /** Full score, 32 x 9 hits (used by score-input models; split per drum for the 11-input model). */
  score?: Score | null;
  drums?: DrumScores;
  groove?: Groove | null;
  accent?: Accent | null;
}

export const SCORE_SIZE = STEPS * DRUM_COUNT;
/** A packed groove: per step [hit, velocity, offset]. */
export const GROOVE_SIZE = STEPS * 3;

/** Packs a groove per step as [hit, velocity, offset]; a step without a hit is all zeros. */
export function packGroove(g: Groove, out: Float32Array = new Float32Array(GROOVE_SIZE), at = 0): Float32Array {
  for (let s = 0; s < STEPS; s++) {
    const hit = g.hits[s] > 0.5 ? 1 : 0;
    out[at + s * 3] = hit;
    out[at + s * 3 + 1] = hit ? g.velocities[s] : 0;
    out[at + s * 3 + 2] = hit ? g.offsets[s] : 0;
  }
  return out;
}

/** Reads a packed groove back as it is (a model's output keeps its hit probabilities). */
export function unpackGroove(packed: ArrayLike<number>, at = 0): Groove {
  const g: Groove = {
    hits: new Float32Array(STEPS),
    velocities: new Float32Array(STEPS),
    offsets: new Float32Array(STEPS),
  };
  for (let s = 0; s < STEPS; s++) {
    g.hits[s] = packed[at + s * 3];
    g.velocities[s] = packed[at + s * 3 + 1];
    g.offsets[s] = packed[at + s * 3 + 2];
  }
  return g;
}

/** One drum's 32 values from a score; `hitsOnly` turns them into hits (> 0.5) instead of copying them. */
export function drumRow(score: ArrayLike<number>, drum: number, hitsOnly = false): Float32Array {
  const row = new Float32Array(STEPS);
  for (let s = 0; s < STEPS; s++) {
    const v = score[s * DRUM_COUNT + drum];
    row[s] = hitsOnly ? (v > 0.5 ? 1 : 0) : v;
  }
  return row;
}

/** A score split into its nine drum rows, values copied (probabilities stay probabilities). */
export function scoreToDrumRows(score: ArrayLike<number>): Float32Array[] {
  return Array.from({ length: DRUM_COUNT }, (_, d) => drumRow(score, d));
}

/** Per-drum rows joined into one score of hits; a null row is a drum without hits. */
export function drumRowsToScore(rows: DrumScores): Score {
  const out = new Float32Array(SCORE_SIZE);
  rows.forEach((row, d) =>
    row?.forEach((v, s) => {
      out[s * DRUM_COUNT + d] = v > 0.5 ? 1 : 0;
    }),
  );
  return out;
}

/**
 * Each drum's given row: per-drum rows decide when present (null: the model
 * decides); a full score gives all nine only without them; else none is given.
 */
export function givenDrumRows(g: Gestures): DrumScores {
  return Array.from({ length: DRUM_COUNT }, (_, d) =>
    g.drums ? (g.drums[d] ?? null) : g.score ? drumRow(g.score, d) : null,
  );
}

/**
 * The gestures of many patterns, packed for batching: score N x 32 x 9,
 * groove N x 32 x 3 (hit, velocity, offset), accent N x 32. Computed with the
 * very gesture functions the box applies to a performer's input.
 */
export interface GestureArrays {
  count: number;
  score: Float32Array;
  groove: Float32Array;
  accent: Float32Array;
}

export function gestureArrays(patterns: Float32Array): GestureArrays {
  const count = patterns.length / PATTERN_TENSOR_SIZE;
  const out: GestureArrays = {
    count,
    score: new Float32Array(count * SCORE_SIZE),
    groove: new Float32Array(count * GROOVE_SIZE),
    accent: new Float32Array(count * STEPS),
  };
  for (let n = 0; n < count; n++) {
    const pattern = tensorDataToPattern(patterns, n * PATTERN_TENSOR_SIZE);
    out.score.set(score(pattern), n * SCORE_SIZE);
    packGroove(groove(pattern), out.groove, n * GROOVE_SIZE);
    out.accent.set(accent(pattern), n * STEPS);
  }
  return out;
}
