import type { Pattern } from '../pattern/pattern.js';
import { PATTERN_TENSOR_SIZE, tensorDataToPattern } from '../pattern/tensor-layout.js';

/**
 * Up to `take` of the `count` patterns in `data`, spread evenly over it: a split is
 * sorted by drummer and session, so its first ones would be one drummer's style.
 */
export function spreadPatterns(data: ArrayLike<number>, count: number, take: number): Pattern[] {
  const n = Math.min(take, count);
  return Array.from({ length: n }, (_, k) =>
    tensorDataToPattern(data, Math.floor((k * count) / n) * PATTERN_TENSOR_SIZE),
  );
}
