import { DRUM_COUNT } from './drums.js';
import { Pattern, STEPS } from './pattern.js';

/**
 * The paper's gesture functions F(X): simplified views of a drum loop that a
 * performer can demonstrate. Training computes them from data; on stage the
 * performer supplies them.
 */

/** F1, "what to play": the hits of every drum, 32 x 9 (index step * 9 + drum). */
export type Score = Float32Array;

/**
 * The 11-input model's per-drum scores: for each drum either a 32-step hit
 * vector (all zeros = "do not play this drum") or `null` = unspecified (the
 * model decides). Keep null and all-zero apart everywhere.
 */
export type DrumScores = (Float32Array | null)[];

/** F2, "how to play it": one voice per step with the loudest hit's velocity and offset. */
export interface Groove {
  hits: Float32Array; // 32
  velocities: Float32Array; // 32, 0..1
  offsets: Float32Array; // 32, -1..1, positive = late
}

/** One bit per step: emphasised steps. */
export type Accent = Float32Array; // 32

export function score(pattern: Pattern): Score {
  const out = new Float32Array(STEPS * DRUM_COUNT);
  for (let i = 0; i < out.length; i++) out[i] = pattern.hits[i] > 0.5 ? 1 : 0;
  return out;
}

/** The score with velocity and offset removed, as a Pattern (velocity 0). */
export function quantize(pattern: Pattern): Pattern {
  return new Pattern(score(pattern));
}

/** All nine drums specified from the pattern (the full score, split by drum). */
export function drumScores(
  pattern: Pattern,
  specified: readonly boolean[] = new Array(DRUM_COUNT).fill(true),
): DrumScores {
  const out: DrumScores = [];
  for (let drum = 0; drum < DRUM_COUNT; drum++) {
    if (!specified[drum]) {
      out.push(null);
      continue;
    }
    const row = new Float32Array(STEPS);
    for (let step = 0; step < STEPS; step++) row[step] = pattern.hit(step, drum) ? 1 : 0;
    out.push(row);
  }
  return out;
}

export function emptyGroove(): Groove {
  return { hits: new Float32Array(STEPS), velocities: new Float32Array(STEPS), offsets: new Float32Array(STEPS) };
}

/** F2 "squash": a hit where any drum hits, carrying the loudest hit's velocity and offset. */
export function groove(pattern: Pattern): Groove {
  const g = emptyGroove();
  for (let step = 0; step < STEPS; step++) {
    const loudest = loudestDrum(pattern, step);
    if (loudest >= 0) {
      g.hits[step] = 1;
      g.velocities[step] = pattern.velocity(step, loudest);
      g.offsets[step] = pattern.offset(step, loudest);
    }
  }
  return g;
}

/** The drum whose note the Groove carries at `step` (the loudest; the lowest drum of a tie), or -1 on an empty step. */
export function loudestDrum(pattern: Pattern, step: number): number {
  let loudest = -1;
  for (let drum = 0; drum < DRUM_COUNT; drum++) {
    if (!pattern.hit(step, drum)) continue;
    if (loudest < 0 || pattern.velocity(step, drum) > pattern.velocity(step, loudest)) loudest = drum;
  }
  return loudest;
}

/**
 * The paper's accent rule: a step is accented when it holds a note (any drum)
 * whose velocity is more than one standard deviation above the mean velocity
 * of that drum over the whole sequence.
 */
export function accent(pattern: Pattern): Accent {
  const out = new Float32Array(STEPS);
  for (let drum = 0; drum < DRUM_COUNT; drum++) {
    markLoudSteps(
      out,
      (step) => pattern.hit(step, drum),
      (step) => pattern.velocity(step, drum),
    );
  }
  return out;
}

/** Accent of a single voice (a tapped groove): the same rule with the groove as the one drum. */
export function accentFromGroove(g: Groove): Accent {
  const out = new Float32Array(STEPS);
  markLoudSteps(
    out,
    (step) => g.hits[step] > 0.5,
    (step) => g.velocities[step],
  );
  return out;
}

/**
 * The one implementation of the accent rule for one voice: sets `out[step]`
 * where the voice plays louder than its mean + one (population) standard
 * deviation. The epsilon keeps a voice of equal velocities unaccented despite
 * float rounding in the variance. Steps already set stay set (accent ORs drums).
 */
function markLoudSteps(out: Accent, hit: (step: number) => boolean, velocity: (step: number) => number): void {
  let n = 0,
    sum = 0,
    sumSq = 0;
  for (let step = 0; step < STEPS; step++) {
    if (!hit(step)) continue;
    const v = velocity(step);
    n++;
    sum += v;
    sumSq += v * v;
  }
  if (n === 0) return;
  const mean = sum / n;
  const std = Math.sqrt(Math.max(0, sumSq / n - mean * mean));
  for (let step = 0; step < STEPS; step++) {
    if (hit(step) && velocity(step) > mean + std + 1e-9) out[step] = 1;
  }
}

/** A groove as a one-voice pattern (closed hat), e.g. to play back what was tapped. */
export function grooveToPattern(g: Groove, drum = 2): Pattern {
  const p = new Pattern();
  for (let s = 0; s < STEPS; s++) if (g.hits[s] > 0.5) p.set(s, drum, g.velocities[s], g.offsets[s]);
  return p;
}
