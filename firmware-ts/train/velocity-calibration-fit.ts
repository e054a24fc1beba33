/**
 * Fits a step-decoder model's velocity calibration (model/velocity-calibration.ts) on
 * training windows: every drum's row of each window's score given and played exactly,
 * no groove, so each note the model plays is one the drummer played; the model's
 * velocities of each drum against the drummer's of the same notes.
 */
import type { GrooveModel } from '../model/generator.js';
import {
  encodeVelocityCalibration,
  fitVelocityCalibration,
  VELOCITY_CALIBRATION_FILE,
  type VelocityCalibration,
} from '../model/velocity-calibration.js';
import { drumScores } from '../pattern/gestures.js';
import { hitValues } from '../pattern/hit-values.js';
import type { Pattern } from '../pattern/pattern.js';
import { spreadPatterns } from './spread-patterns.js';

/** Windows the calibration is fitted on; measured, more moved the test split's figures by less than their noise (docs/models.md). */
export const CALIBRATION_WINDOWS = 4096;
const BATCH = 128;

/**
 * The calibration for `model` (with its latent bank in use, as it plays) from `count`
 * windows of `patterns`, spread evenly. The model's own calibration is off while it is measured.
 */
export function fitModelVelocityCalibration(
  model: GrooveModel,
  patterns: Float32Array,
  count: number,
  windows = CALIBRATION_WINDOWS,
  seed = 1,
): VelocityCalibration {
  const real = spreadPatterns(patterns, count, windows);
  const generated: Pattern[] = [];
  for (let start = 0; start < real.length; start += BATCH) {
    const requests = real.slice(start, start + BATCH).map((p) => ({ drums: drumScores(p) }));
    const out = model.generateBatch(requests, { seed: seed + start, keepGiven: true, calibrateVelocities: false });
    generated.push(...out.map((g) => g.pattern));
  }
  return fitVelocityCalibration(hitValues(generated).velocities, hitValues(real).velocities);
}

/** The calibration file's name and bytes, to be written with the model's other files as one set. */
export function velocityCalibrationFiles(calibration: VelocityCalibration): Record<string, Uint8Array> {
  return { [VELOCITY_CALIBRATION_FILE]: new TextEncoder().encode(encodeVelocityCalibration(calibration)) };
}
