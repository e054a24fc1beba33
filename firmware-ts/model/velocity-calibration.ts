/**
 * A per-drum map from the velocities a model plays to the velocities drummers
 * play, for the notes it writes with no groove to follow.
 *
 * With only a score given, the step decoder's dynamics come from a hidden
 * groove latent, and measured on the test split its snare sat louder and its
 * closed hat softer than the drummers'. Matching quantiles (the model's
 * velocities of a drum on training windows against the drummers' on the same
 * windows) moves each drum's whole distribution where the data has it while
 * keeping the order of the notes: a louder note stays louder, so the backbeat,
 * the ghost notes and the accents keep their shape.
 *
 * The file is optional: a model without one plays its velocities as drawn.
 */
import { DRUM_COUNT } from '../pattern/drums.js';

/** The file beside a model's weights that holds its calibration. */
export const VELOCITY_CALIBRATION_FILE = 'velocity-calibration.json';

/** Quantiles matched per drum: enough to follow a two-peaked snare (ghosts and backbeats), few enough to stay smooth. */
export const CALIBRATION_QUANTILES = 33;

/** A drum with fewer notes than this on either side keeps its velocities: its quantiles would be noise. */
export const MIN_CALIBRATION_NOTES = 200;

/** One drum's map: the model's velocity quantiles and the drummers' at the same probabilities, both ascending, 0..1. */
export interface DrumCalibration {
  model: number[];
  real: number[];
}

export interface VelocityCalibration {
  /** Per drum (drum order), null where the drum keeps its velocities. */
  drums: (DrumCalibration | null)[];
}

/** `v` (0..1) through drum `drum`'s map: linear between matched quantiles, shifted by the end's difference beyond them. */
export function calibrateVelocity(calibration: VelocityCalibration, drum: number, v: number): number {
  const map = calibration.drums[drum];
  if (!map) return v;
  const { model, real } = map;
  const last = model.length - 1;
  let out: number;
  if (v <= model[0]) out = v + real[0] - model[0];
  else if (v >= model[last]) out = v + real[last] - model[last];
  else {
    let hi = 1;
    while (model[hi] < v) hi++;
    const lo = hi - 1;
    const span = model[hi] - model[lo];
    out = span > 0 ? real[lo] + ((v - model[lo]) / span) * (real[hi] - real[lo]) : real[hi];
  }
  return Math.min(1, Math.max(1 / 127, out));
}

/** The value at probability p of an ascending sample (linear between order statistics). */
function quantile(sorted: Float64Array, p: number): number {
  const at = p * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Fits the map per drum from the model's velocities and the drummers' (0..1, any
 * order). Quantile points where the model's velocity repeats (many notes at the
 * same value, e.g. clipped at full velocity) are merged into one, the drummers'
 * values averaged, so the map stays a function.
 */
export function fitVelocityCalibration(
  generated: readonly (readonly number[])[],
  real: readonly (readonly number[])[],
  quantiles = CALIBRATION_QUANTILES,
): VelocityCalibration {
  const drums = Array.from({ length: DRUM_COUNT }, (_, d): DrumCalibration | null => {
    const g = generated[d] ?? [];
    const r = real[d] ?? [];
    if (g.length < MIN_CALIBRATION_NOTES || r.length < MIN_CALIBRATION_NOTES) return null;
    const gs = Float64Array.from(g).sort();
    const rs = Float64Array.from(r).sort();
    const model: number[] = [];
    const matched: number[] = [];
    const weight: number[] = [];
    for (let q = 0; q < quantiles; q++) {
      const p = q / (quantiles - 1);
      const x = quantile(gs, p);
      const y = quantile(rs, p);
      const last = model.length - 1;
      if (last >= 0 && x - model[last] < 1e-6) {
        matched[last] += y;
        weight[last]++;
      } else {
        model.push(x);
        matched.push(y);
        weight.push(1);
      }
    }
    const round = (x: number) => Math.round(x * 1e5) / 1e5;
    return { model: model.map(round), real: matched.map((y, k) => round(y / weight[k])) };
  });
  return { drums };
}

/** The calibration as its file's text. */
export function encodeVelocityCalibration(calibration: VelocityCalibration): string {
  return `${JSON.stringify(calibration)}\n`;
}

/** Reads a calibration file's text; anything off is one line naming the file, the key and what was expected. */
export function decodeVelocityCalibration(text: string, file: string): VelocityCalibration {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: expected JSON, got ${(err as Error).message}`, { cause: err });
  }
  const drums = (data as { drums?: unknown } | null)?.drums;
  if (!Array.isArray(drums) || drums.length !== DRUM_COUNT)
    throw new Error(`${file}: drums: expected an array of ${DRUM_COUNT} entries (one per drum)`);
  const isVelocities = (a: unknown): a is number[] =>
    Array.isArray(a) && a.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 1);
  drums.forEach((entry: unknown, d) => {
    if (entry === null) return;
    const { model, real } = (entry ?? {}) as { model?: unknown; real?: unknown };
    const ok =
      isVelocities(model) &&
      isVelocities(real) &&
      model.length >= 2 &&
      model.length === real.length &&
      model.every((x, k) => k === 0 || x > model[k - 1]) &&
      real.every((y, k) => k === 0 || y >= real[k - 1]);
    if (!ok)
      throw new Error(
        `${file}: drums[${d}]: expected null or {model, real}: equal-length lists of velocities 0..1, model rising, real not falling`,
      );
  });
  return { drums: drums as (DrumCalibration | null)[] };
}
