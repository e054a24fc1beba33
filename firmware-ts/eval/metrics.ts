/**
 * Pure metric code of the evaluation (issue 4): no model, no tensors, so each
 * definition can be checked on hand-computed cases.
 */

export interface MeanCI {
  mean: number;
  /** Normal-approximation 95% interval of the mean (mean +- 1.96 standard errors). */
  ci95: [number, number];
  n: number;
}

export interface MeanStd {
  mean: number;
  /** Population standard deviation (numpy's default, as Magenta's evaluation code used). */
  std: number;
  n: number;
}

export function meanStd(values: ArrayLike<number>): MeanStd {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(sq / n), n };
}

export function meanCI95(values: ArrayLike<number>): MeanCI {
  const n = values.length;
  if (n === 0) return { mean: NaN, ci95: [NaN, NaN], n: 0 };
  const { mean, std } = meanStd(values);
  // Standard error uses the sample (n-1) deviation; one value has no spread to speak of.
  const se = n > 1 ? (std * Math.sqrt(n / (n - 1))) / Math.sqrt(n) : 0;
  return { mean, ci95: [mean - 1.96 * se, mean + 1.96 * se], n };
}

/**
 * Table 1's per-window diversity: for every cell where the Score has a hit, the
 * standard deviation of the offsets the K humanizations gave that cell,
 * averaged over the cells. A cell counts only where at least two of the K
 * outputs play it: a dropped note has no timing, and treating it as offset 0
 * would score hit/no-hit disagreement as timing diversity.
 * `offsets[k]` / `hits[k]` are run k's cell arrays (index step * 9 + drum).
 * `dropped = 'zero'` is the other reading (the output tensor's offset 0 counts
 * where a run drops the note), reported beside it to show how much the choice matters.
 * Returns NaN when no cell qualifies.
 */
export function windowDiversity(
  score: ArrayLike<number>,
  hits: ArrayLike<number>[],
  offsets: ArrayLike<number>[],
  dropped: 'skip' | 'zero' = 'skip',
): number {
  let sum = 0;
  let cells = 0;
  const values: number[] = [];
  for (let i = 0; i < score.length; i++) {
    if (score[i] <= 0.5) continue;
    values.length = 0;
    for (let k = 0; k < offsets.length; k++)
      if (hits[k][i] > 0.5 || dropped === 'zero') values.push(hits[k][i] > 0.5 ? offsets[k][i] : 0);
    if (values.length < 2) continue;
    sum += meanStd(values).std;
    cells++;
  }
  return cells === 0 ? NaN : sum / cells;
}

/**
 * Wasserstein-1 (earth mover's) distance between two 1-D samples: the area
 * between their empirical CDFs. Exact for samples of different sizes.
 */
export function wasserstein1(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length === 0 || b.length === 0) return NaN;
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let i = 0,
    j = 0,
    area = 0;
  let prev = Math.min(x[0], y[0]);
  while (i < x.length || j < y.length) {
    const next = j >= y.length || (i < x.length && x[i] <= y[j]) ? x[i] : y[j];
    area += Math.abs(i / x.length - j / y.length) * (next - prev);
    prev = next;
    while (i < x.length && x[i] === next) i++;
    while (j < y.length && y[j] === next) j++;
  }
  return area;
}

/** Hit agreement counts; add them up over windows, then read precision/recall/F1 once (micro average). */
export interface HitCounts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export function emptyCounts(): HitCounts {
  return { tp: 0, fp: 0, fn: 0, tn: 0 };
}

/** Adds the agreement of `predicted` with `target` (both thresholded at `threshold`) over the given indices (all when omitted). */
export function countHits(
  into: HitCounts,
  target: ArrayLike<number>,
  predicted: ArrayLike<number>,
  threshold = 0.5,
  indices?: ArrayLike<number>,
): HitCounts {
  const n = indices ? indices.length : target.length;
  for (let k = 0; k < n; k++) {
    const i = indices ? indices[k] : k;
    const t = target[i] > 0.5;
    const p = predicted[i] > threshold;
    if (t && p) into.tp++;
    else if (p) into.fp++;
    else if (t) into.fn++;
    else into.tn++;
  }
  return into;
}

export interface PRF {
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
}

/** Precision/recall/F1; with nothing to find and nothing found, all are 1 (a perfect empty answer). */
export function prf(c: HitCounts): PRF {
  const precision = c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 1 : c.tp / (c.tp + c.fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const total = c.tp + c.fp + c.fn + c.tn;
  return { precision, recall, f1, accuracy: total === 0 ? NaN : (c.tp + c.tn) / total };
}

/** A histogram over [lo, hi) with `bins` equal bins; values outside are clamped into the end bins. */
export function histogram(values: ArrayLike<number>, lo: number, hi: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const b = Math.floor(((values[i] - lo) / (hi - lo)) * bins);
    counts[Math.min(bins - 1, Math.max(0, b))]++;
  }
  return counts;
}
