/**
 * The measures of issue 20 that compare a player's loops with the real
 * performances: pure functions of patterns, so each is checked on hand-made
 * windows. Offsets in the project's units (1 = half a 16th, positive = late);
 * every velocity these functions return is in MIDI units (0..127).
 */
import { DRUM_COUNT } from '../pattern/drums.js';
import { loudestDrum, type Accent, type Groove } from '../pattern/gestures.js';
import { CELLS, STEPS, type Pattern } from '../pattern/pattern.js';
import { countHits, emptyCounts, meanStd, prf, wasserstein1, type PRF } from './metrics.js';
import { hitValues } from '../pattern/hit-values.js';

export const MIDI = 127;

export interface PerformanceError {
  /** Mean |generated − real| offset over the real hits the output also plays (same step and drum). */
  offsetMAE: number;
  /** The same for velocities, MIDI units. */
  velocityMAE: number;
  /** Real hits the output plays too, and all real hits: their ratio is the hit recall. */
  matched: number;
  realHits: number;
  /** Per window, the offset MAE (NaN where nothing matched): for window-by-window comparisons. */
  perWindowOffsetMAE: number[];
  /**
   * The offset MAE split by what a Groove says about the real hit: its step's loudest note (the one the Groove
   * carries) or a note sharing its step with a louder one (the Groove gives only the step's offset for it).
   * `othersTapped`: on those same other notes, the error of playing the step's tapped offset (what the groove
   * template does), so players that drop different notes are compared on their own notes.
   */
  offsetMAEByRole: { loudest: number; others: number; othersTapped: number };
}

/** Errors per hit against the real performances, matched by the real hit's (step, drum); `generated[k]` answers `real[k]`. */
export function performanceError(real: readonly Pattern[], generated: readonly Pattern[]): PerformanceError {
  let off = 0,
    vel = 0,
    matched = 0,
    realHits = 0;
  const perWindowOffsetMAE: number[] = [];
  const byRole = { loudest: { sum: 0, n: 0 }, others: { sum: 0, n: 0 } };
  let othersTapped = 0;
  real.forEach((r, k) => {
    const g = generated[k];
    let windowOff = 0,
      windowMatched = 0;
    for (let i = 0; i < CELLS; i++) {
      if (r.hits[i] <= 0.5) continue;
      realHits++;
      if (g.hits[i] <= 0.5) continue;
      const e = Math.abs(g.offsets[i] - r.offsets[i]);
      off += e;
      windowOff += e;
      const step = Math.floor(i / DRUM_COUNT);
      const loudest = loudestDrum(r, step);
      const role = loudest === i % DRUM_COUNT ? byRole.loudest : byRole.others;
      role.sum += e;
      role.n++;
      if (role === byRole.others) othersTapped += Math.abs(r.offset(step, loudest) - r.offsets[i]);
      vel += Math.abs(g.velocities[i] - r.velocities[i]) * MIDI;
      matched++;
      windowMatched++;
    }
    perWindowOffsetMAE.push(windowMatched ? windowOff / windowMatched : NaN);
  });
  return {
    offsetMAE: matched ? off / matched : NaN,
    velocityMAE: matched ? vel / matched : NaN,
    matched,
    realHits,
    perWindowOffsetMAE,
    offsetMAEByRole: {
      loudest: byRole.loudest.n ? byRole.loudest.sum / byRole.loudest.n : NaN,
      others: byRole.others.n ? byRole.others.sum / byRole.others.n : NaN,
      othersTapped: byRole.others.n ? othersTapped / byRole.others.n : NaN,
    },
  };
}

/** How many windows `a` has a lower offset MAE than `b` in (both defined), and how many were compared. */
export function windowsBetter(a: readonly number[], b: readonly number[]): { better: number; compared: number } {
  let better = 0,
    compared = 0;
  a.forEach((x, k) => {
    if (Number.isNaN(x) || Number.isNaN(b[k])) return;
    compared++;
    if (x < b[k]) better++;
  });
  return { better, compared };
}

export interface Distribution {
  /** Per-drum W1 to the real hits, averaged with the real hit count of each drum as weight. */
  offsetsW1: number;
  /** The same for velocities, MIDI units. */
  velocitiesW1: number;
  /** Std and mean of every generated offset, and the std's ratio to the real offsets' std. */
  offsetStd: number;
  offsetMean: number;
  spreadRatio: number;
}

/** Hit-weighted per-drum Wasserstein-1 between two sets of values per drum; drums missing on either side are left out. */
export function weightedW1(generated: number[][], real: number[][]): number {
  let sum = 0,
    weight = 0;
  real.forEach((r, d) => {
    if (r.length === 0 || generated[d].length === 0) return;
    sum += wasserstein1(generated[d], r) * r.length;
    weight += r.length;
  });
  return weight ? sum / weight : NaN;
}

export function distribution(real: readonly Pattern[], generated: readonly Pattern[]): Distribution {
  const r = hitValues(real),
    g = hitValues(generated);
  const toMidi = (per: number[][]) => per.map((v) => v.map((x) => x * MIDI));
  const gen = meanStd(g.offsets.flat());
  return {
    offsetsW1: weightedW1(g.offsets, r.offsets),
    velocitiesW1: weightedW1(toMidi(g.velocities), toMidi(r.velocities)),
    offsetStd: gen.std,
    offsetMean: gen.mean,
    spreadRatio: gen.std / meanStd(r.offsets.flat()).std,
  };
}

export interface AccentFollowing {
  /** Mean velocity (MIDI) of the hits on accented steps and on the other steps, pooled over drums. */
  accented: number;
  unaccented: number;
  /**
   * Per drum, mean accented velocity over mean unaccented velocity of that drum;
   * averaged over the drums that have both, weighted by their accented hits.
   * Comparing within a drum keeps a loud kick on the downbeat from passing for an accent.
   */
  ratio: number;
  accentedHits: number;
}

export function accentFollowing(patterns: readonly Pattern[], accents: readonly Accent[]): AccentFollowing {
  const sum = Array.from({ length: DRUM_COUNT }, () => ({ on: 0, nOn: 0, off: 0, nOff: 0 }));
  patterns.forEach((p, k) => {
    for (let s = 0; s < STEPS; s++) {
      for (let d = 0; d < DRUM_COUNT; d++) {
        if (!p.hit(s, d)) continue;
        const acc = sum[d];
        if (accents[k][s] > 0.5) {
          acc.on += p.velocity(s, d);
          acc.nOn++;
        } else {
          acc.off += p.velocity(s, d);
          acc.nOff++;
        }
      }
    }
  });
  let ratio = 0,
    weight = 0,
    on = 0,
    nOn = 0,
    off = 0,
    nOff = 0;
  for (const a of sum) {
    on += a.on;
    nOn += a.nOn;
    off += a.off;
    nOff += a.nOff;
    if (a.nOn === 0 || a.nOff === 0 || a.off === 0) continue;
    ratio += (a.on / a.nOn / (a.off / a.nOff)) * a.nOn;
    weight += a.nOn;
  }
  return {
    accented: nOn ? (on / nOn) * MIDI : NaN,
    unaccented: nOff ? (off / nOff) * MIDI : NaN,
    ratio: weight ? ratio / weight : NaN,
    accentedHits: nOn,
  };
}

/** An Accent on the "e" of every beat (the second 16th of each beat). */
export function accentOnTheE(): Accent {
  const a = new Float32Array(STEPS);
  for (let s = 1; s < STEPS; s += 4) a[s] = 1;
  return a;
}

export interface Drumify {
  /** Steps with any generated hit against the tapped steps (micro average over windows). */
  onset: PRF;
  hitsPerWindow: number;
  realHitsPerWindow: number;
  hitsPerWindowPerDrum: number[];
  realHitsPerWindowPerDrum: number[];
  emptyLoops: number;
}

export function drumify(real: readonly Pattern[], grooves: readonly Groove[], generated: readonly Pattern[]): Drumify {
  const counts = emptyCounts();
  const perDrum = new Array<number>(DRUM_COUNT).fill(0),
    realPerDrum = new Array<number>(DRUM_COUNT).fill(0);
  let empty = 0;
  generated.forEach((p, k) => {
    const onsets = new Float32Array(STEPS);
    for (let s = 0; s < STEPS; s++)
      for (let d = 0; d < DRUM_COUNT; d++)
        if (p.hit(s, d)) {
          onsets[s] = 1;
          perDrum[d]++;
        }
    countHits(counts, grooves[k].hits, onsets);
    if (p.isEmpty()) empty++;
    for (let i = 0; i < CELLS; i++) if (real[k].hits[i] > 0.5) realPerDrum[i % DRUM_COUNT]++;
  });
  const n = generated.length || 1;
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  return {
    onset: prf(counts),
    hitsPerWindow: sum(perDrum) / n,
    realHitsPerWindow: sum(realPerDrum) / n,
    hitsPerWindowPerDrum: perDrum.map((c) => c / n),
    realHitsPerWindowPerDrum: realPerDrum.map((c) => c / n),
    emptyLoops: empty,
  };
}
