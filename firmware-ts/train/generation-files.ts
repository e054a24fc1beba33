/**
 * The files a step-decoder model plays with beside its weights, fitted on training
 * windows whenever the trainer ships new weights: the latent bank, then the velocity
 * calibration measured with that bank in use (as the box plays).
 */
import type { ModelConfig } from '../model/config.js';
import { GrooveModel } from '../model/generator.js';
import { decodeLatentBank, LATENT_BANK_FILE } from '../model/latent-bank.js';
import type { Params } from '../model/params.js';
import { fitLatentBank, usesLatentBank } from './latent-bank-fit.js';
import { fitModelVelocityCalibration, velocityCalibrationFiles } from './velocity-calibration-fit.js';

export function fitGenerationFiles(
  config: ModelConfig,
  params: Params,
  patterns: Float32Array,
  count: number,
): Record<string, Uint8Array> {
  if (!usesLatentBank(config)) return {};
  const bank = fitLatentBank(config, params, patterns, count);
  // The model only wraps the training weights here; disposing it would free them.
  const model = GrooveModel.fromParams(config, params);
  model.useLatentBank(decodeLatentBank(bank[LATENT_BANK_FILE], config, LATENT_BANK_FILE));
  return { ...bank, ...velocityCalibrationFiles(fitModelVelocityCalibration(model, patterns, count)) };
}
