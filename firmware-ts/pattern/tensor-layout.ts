import { DRUM_COUNT } from './drums.js';
import { Pattern, STEPS, clamp } from './pattern.js';

/**
 * The one place that owns the model's tensor layout: per step, 27 features =
 * [hits x 9, velocities x 9, offsets x 9]; 32 steps. Offsets keep our sign
 * (positive = late); Magenta's GrooVAE tensors use the opposite sign, so
 * anything exchanged with Magenta goes through `toMagentaOffset`/`fromMagentaOffset`.
 */
export const FEATURES = DRUM_COUNT * 3;
export const PATTERN_TENSOR_SIZE = STEPS * FEATURES;

export function patternToTensorData(
  pattern: Pattern,
  out = new Float32Array(PATTERN_TENSOR_SIZE),
  at = 0,
): Float32Array {
  for (let step = 0; step < STEPS; step++) {
    const row = at + step * FEATURES;
    for (let drum = 0; drum < DRUM_COUNT; drum++) {
      const i = Pattern.index(step, drum);
      const hit = pattern.hits[i] > 0.5 ? 1 : 0;
      out[row + drum] = hit;
      out[row + DRUM_COUNT + drum] = hit ? pattern.velocities[i] : 0;
      out[row + 2 * DRUM_COUNT + drum] = hit ? pattern.offsets[i] : 0;
    }
  }
  return out;
}

/** Reads a pattern back; `hitThreshold` turns hit probabilities into hits. */
export function tensorDataToPattern(data: ArrayLike<number>, at = 0, hitThreshold = 0.5): Pattern {
  const pattern = new Pattern();
  for (let step = 0; step < STEPS; step++) {
    const row = at + step * FEATURES;
    for (let drum = 0; drum < DRUM_COUNT; drum++) {
      if (data[row + drum] > hitThreshold) {
        pattern.set(
          step,
          drum,
          clamp(data[row + DRUM_COUNT + drum], 0, 1),
          clamp(data[row + 2 * DRUM_COUNT + drum], -1, 1),
        );
      }
    }
  }
  return pattern;
}

/** Our offsets are positive when late; Magenta's are positive when early. */
export function toMagentaOffset(offset: number): number {
  return -offset;
}

export function fromMagentaOffset(magentaOffset: number): number {
  return -magentaOffset;
}
