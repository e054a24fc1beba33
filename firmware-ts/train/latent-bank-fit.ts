/**
 * Fits a step-decoder model's latent bank (model/latent-bank.ts) on training windows:
 * every factor's posterior mean for windows spread evenly over the train split.
 */
import type { ModelConfig } from '../model/config.js';
import { GrooveModel } from '../model/generator.js';
import { encodeLatentBank, LATENT_BANK_FILE } from '../model/latent-bank.js';
import type { Params } from '../model/params.js';
import { accent, drumScores, groove } from '../pattern/gestures.js';
import { spreadPatterns } from './spread-patterns.js';

/** Windows in a bank: enough for every style in the data to be drawn, small beside the weights. */
export const LATENT_BANK_ROWS = 1024;

/** Whether `config`'s generator draws hidden latents from a bank (only the step decoder was measured with one). */
export function usesLatentBank(config: ModelConfig): boolean {
  return config.decoder.kind === 'steps';
}

/** The bank file's name and bytes, to be written with the model's other files as one set. */
export function fitLatentBank(
  config: ModelConfig,
  params: Params,
  patterns: Float32Array,
  count: number,
  rows = LATENT_BANK_ROWS,
): Record<string, Uint8Array> {
  const requests = spreadPatterns(patterns, count, rows).map((p) => ({
    drums: drumScores(p),
    groove: groove(p),
    accent: accent(p),
  }));
  // The model only wraps the training weights here; disposing it would free them.
  const means = GrooveModel.fromParams(config, params).posteriorMeans(requests);
  return { [LATENT_BANK_FILE]: encodeLatentBank({ rows: requests.length, means }) };
}
