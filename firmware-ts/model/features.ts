import { DRUM_COUNT } from '../pattern/drums.js';
import { STEPS } from '../pattern/pattern.js';
import { PATTERN_TENSOR_SIZE, tensorDataToPattern } from '../pattern/tensor-layout.js';
import { accent, groove, score } from '../pattern/gestures.js';

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

export const SCORE_SIZE = STEPS * DRUM_COUNT;
export const GROOVE_SIZE = STEPS * 3;

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
    const g = groove(pattern);
    for (let s = 0; s < STEPS; s++) {
      const at = n * GROOVE_SIZE + s * 3;
      out.groove[at] = g.hits[s];
      out.groove[at + 1] = g.velocities[s];
      out.groove[at + 2] = g.offsets[s];
    }
    out.accent.set(accent(pattern), n * STEPS);
  }
  return out;
}
