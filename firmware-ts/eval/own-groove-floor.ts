/**
 * How low the own-groove offset error can go. A Groove is each step's loudest note, so a player given it knows those
 * notes exactly (error 0) and about the step's other notes only what the Score and the Groove say around them. Its
 * error over all hits is the others' share times its error on them. Two predictors of those notes, both fitted on
 * train windows, say how low that error goes without knowing more than the gestures:
 *  - the tapped offset times a factor;
 *  - a linear model of what the window's gestures show about each drum (below), fitted for least absolute error.
 * A network that sees the same gestures could find more than a linear model does, so this is an estimate of the floor,
 * not a proof; a network that does no better than these has learned what there is to learn from a step's tap.
 *
 * From below, an estimate of the drummers' own variation: where a note under a tap is played at the same place in
 * both bars of a window (same drum, same step in the bar, the same drum loudest above it), its distance from the tap
 * differs between the two bars. If the drummer's habit at that place is a fixed distance from the tap and the two bars
 * vary around it by independent noise, a player that knew the habit exactly would still be mean |a - b| / 1.5 off
 * (Laplace noise) or / sqrt(2) (Gaussian). It is an estimate under those assumptions, not a bound: a habit that
 * scales with the tap, or noise of another shape, gives another figure.
 */
import { DRUM_COUNT } from '../pattern/drums.js';
import { groove, loudestDrum } from '../pattern/gestures.js';
import { STEPS, type Pattern } from '../pattern/pattern.js';

export interface OwnGrooveFloor {
  /** Share of the real test hits that are not their step's loudest note. */
  othersShare: number;
  /** Offset error on those notes of the groove template (the tapped offset). */
  templateOnOthers: number;
  /** The same with the tapped offset times `shrink`, fitted on train windows. */
  shrunkOnOthers: number;
  shrink: number;
  /** The linear model's error on those notes (absent in results written before it existed). */
  linearOnOthers?: number;
  /** The repeats' estimate for those notes (see above): pairs found, and the error of a player knowing each place's habit. */
  repeats?: { pairs: number; laplace: number; gaussian: number };
}

/** The repeat-to-repeat variation of the notes under a tap (see above), over both bars of each window. */
export function repeatVariation(patterns: readonly Pattern[]): { pairs: number; laplace: number; gaussian: number } {
  const half = STEPS / 2;
  let pairs = 0,
    sum = 0;
  for (const p of patterns) {
    const g = groove(p);
    for (let s = 0; s < half; s++) {
      const t = s + half;
      const loudest = loudestDrum(p, s);
      if (loudest < 0 || loudest !== loudestDrum(p, t)) continue;
      for (let d = 0; d < DRUM_COUNT; d++) {
        if (d === loudest || !p.hit(s, d) || !p.hit(t, d)) continue;
        pairs++;
        sum += Math.abs(p.offset(s, d) - g.offsets[s] - (p.offset(t, d) - g.offsets[t]));
      }
    }
  }
  const mean = sum / Math.max(1, pairs);
  return { pairs, laplace: mean / 1.5, gaussian: mean / Math.SQRT2 };
}

/** A note that is not its step's loudest: what the gestures show around it, and the offset it was played at. */
export interface OtherNote {
  tapped: number;
  features: number[];
  played: number;
}

/**
 * The linear model's inputs for drum `drum` at step `step`, from the Score and Groove alone: the tapped offset and
 * velocity; how the drum leans where it plays alone (the Groove then is its own timing) and how the step's other drums
 * lean; the window's mean tapped offset; the step's place in the bar; and per drum an intercept and a tapped-offset
 * slope (a kick under a hi-hat is not played like a ride under a snare).
 */
function features(
  tapped: Float32Array,
  velocities: Float32Array,
  soloLean: (number | null)[],
  windowLean: number,
  drumsAt: number[],
  step: number,
  drum: number,
): number[] {
  const lean = (d: number) => soloLean[d] ?? windowLean;
  const others = drumsAt.filter((d) => d !== drum);
  const othersLean = others.length ? others.reduce((a, d) => a + lean(d), 0) / others.length : windowLean;
  const x = [
    1,
    tapped[step],
    velocities[step],
    lean(drum),
    soloLean[drum] === null ? 1 : 0,
    othersLean,
    windowLean,
    drumsAt.length,
    step % 2,
    step % 4 === 0 ? 1 : 0,
  ];
  for (let d = 0; d < DRUM_COUNT; d++) x.push(d === drum ? 1 : 0);
  for (let d = 0; d < DRUM_COUNT; d++) x.push(d === drum ? tapped[step] : 0);
  return x;
}

/** Every note that is not its step's loudest, with its gesture features. */
export function otherNotes(patterns: readonly Pattern[]): OtherNote[] {
  const out: OtherNote[] = [];
  for (const p of patterns) {
    const g = groove(p);
    const drumsAt = Array.from({ length: STEPS }, (_, s) =>
      Array.from({ length: DRUM_COUNT }, (_, d) => d).filter((d) => p.hit(s, d)),
    );
    const alone: number[][] = Array.from({ length: DRUM_COUNT }, () => []);
    let tappedSum = 0,
      taps = 0;
    drumsAt.forEach((ds, s) => {
      if (ds.length === 1) alone[ds[0]].push(g.offsets[s]);
      if (ds.length) {
        tappedSum += g.offsets[s];
        taps++;
      }
    });
    const soloLean = alone.map((a) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : null));
    const windowLean = taps ? tappedSum / taps : 0;
    for (let s = 0; s < STEPS; s++) {
      const loudest = loudestDrum(p, s);
      for (const d of drumsAt[s]) {
        if (d === loudest) continue;
        out.push({
          tapped: g.offsets[s],
          features: features(g.offsets, g.velocities, soloLean, windowLean, drumsAt[s], s, d),
          played: p.offset(s, d),
        });
      }
    }
  }
  return out;
}

/** Solves A x = b (A square, symmetric positive definite after the ridge below) by Gaussian elimination. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) pivot = r;
    [m[c], m[pivot]] = [m[pivot], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  const x = m.map((row, i) => row[n] / row[i]);
  if (!x.every(Number.isFinite)) throw new Error('own-groove floor: the linear model has no finite solution');
  return x;
}

const predict = (w: readonly number[], x: readonly number[]) => x.reduce((a, v, j) => a + v * w[j], 0);

/**
 * Least absolute deviations by iteratively reweighted least squares: the error measured is absolute, and a squared
 * fit would chase the few notes played a long way off their step. The features are collinear by design (the intercept
 * is the sum of the drum intercepts, the tapped offset the sum of the per-drum slopes) and a drum may have no notes:
 * a small ridge makes the system solvable all the same.
 */
export function fitLeastAbsolute(notes: readonly OtherNote[], iterations = 15): number[] {
  if (notes.length === 0) throw new Error('own-groove floor: no notes to fit the linear model on');
  const k = notes[0].features.length;
  let noteWeights = notes.map(() => 1);
  let coef = new Array<number>(k).fill(0);
  for (let it = 0; it < iterations; it++) {
    const a = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    const b = new Array<number>(k).fill(0);
    notes.forEach((n, i) => {
      const x = n.features;
      for (let r = 0; r < k; r++) {
        const wx = noteWeights[i] * x[r];
        if (wx === 0) continue;
        b[r] += wx * n.played;
        for (let c = 0; c < k; c++) a[r][c] += wx * x[c];
      }
    });
    for (let r = 0; r < k; r++) a[r][r] += 1e-3;
    coef = solve(a, b);
    // A residual near 0 would get an unbounded weight; the 1e-3 clamp keeps one note from taking over the fit.
    noteWeights = notes.map((n) => 1 / Math.max(1e-3, Math.abs(n.played - predict(coef, n.features))));
  }
  return coef;
}

export function ownGrooveFloor(train: readonly Pattern[], test: readonly Pattern[]): OwnGrooveFloor {
  const error = (notes: readonly OtherNote[], guess: (n: OtherNote) => number) =>
    notes.reduce((a, n) => a + Math.abs(n.played - guess(n)), 0) / Math.max(1, notes.length);
  const fitted = otherNotes(train);
  let shrink = 1;
  const shrunk = (k: number) => error(fitted, (n) => k * n.tapped);
  for (let k = 0; k <= 1.0001; k += 0.05) if (shrunk(k) < shrunk(shrink)) shrink = k;
  const others = otherNotes(test);
  const all = test.reduce((a, p) => a + p.hitCount(), 0);
  const linear = fitted.length ? fitLeastAbsolute(fitted) : null;
  return {
    othersShare: others.length / Math.max(1, all),
    templateOnOthers: error(others, (n) => n.tapped),
    shrunkOnOthers: error(others, (n) => shrink * n.tapped),
    shrink: Number(shrink.toFixed(2)),
    ...(linear ? { linearOnOthers: error(others, (n) => predict(linear, n.features)) } : {}),
    repeats: repeatVariation(test),
  };
}
