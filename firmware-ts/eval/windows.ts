import type { DatasetCache } from '../dataset/cache.js';
import type { Split } from '../dataset/info.js';
import type { GenerateOptions, Generated, Gestures } from '../model/generator.js';
import { score, type Score } from '../pattern/gestures.js';
import type { Pattern } from '../pattern/pattern.js';
import { PATTERN_TENSOR_SIZE, tensorDataToPattern } from '../pattern/tensor-layout.js';

/** One dataset window as the evaluation uses it. */
export interface EvalWindow {
  index: number;
  pattern: Pattern;
  score: Score;
}

/**
 * Up to `limit` windows of a split, spread evenly over it: the split is sorted
 * by drummer and session, so its first N windows would be one drummer's style.
 */
export function evalWindows(cache: DatasetCache, split: Split, limit = Infinity): EvalWindow[] {
  const { count, data } = cache.splits[split];
  const n = Math.min(count, Math.max(0, Math.floor(limit)));
  return Array.from({ length: n }, (_, k) => {
    const index = Math.floor((k * count) / n);
    const pattern = tensorDataToPattern(data, index * PATTERN_TENSOR_SIZE);
    return { index, pattern, score: score(pattern) };
  });
}

/** A 32-bit seed from several parts, so each experiment, run and batch draws its own noise. */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193);
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

export function tagSeed(tag: string): number {
  let h = 0;
  for (let i = 0; i < tag.length; i++) h = (Math.imul(h, 31) + tag.charCodeAt(i)) >>> 0;
  return h;
}

/**
 * Generates one output per request in batches (the model needs every request
 * of a batch to give the same gestures, which each experiment does).
 * Batch b uses seed mixSeed(seed, b), so results do not depend on timing.
 */
export function generateAll(
  model: { generateBatch(requests: Gestures[], options: GenerateOptions): Generated[] },
  requests: Gestures[],
  seed: number,
  batchSize: number,
  options: Omit<GenerateOptions, 'seed'> = {},
): Generated[] {
  const out: Generated[] = [];
  for (let start = 0, b = 0; start < requests.length; start += batchSize, b++) {
    out.push(...model.generateBatch(requests.slice(start, start + batchSize), { ...options, seed: mixSeed(seed, b) }));
  }
  return out;
}
