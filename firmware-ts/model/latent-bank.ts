/**
 * Where the latents of the factors left to the model are drawn from: a bank of the
 * posterior means of real training windows, one row per window, instead of the standard
 * normal prior.
 *
 * The KL term only pulls the posteriors towards the prior; the regions the real windows
 * occupy (the aggregate posterior) are not the prior, and a prior draw can land where no
 * window ever did. There the decoder plays what it never learned: measured on the step
 * decoder, hidden grooves drawn from the prior made every drum softer and later than the
 * real data. Drawing a real window's latent is the empirical aggregate posterior itself
 * (as two-stage VAEs and "ex-post density estimation" fit one after training).
 */
import type { ModelConfig } from './config.js';

export interface LatentBank {
  /** Windows in the bank. */
  rows: number;
  /** Per factor (config order): rows x that factor's latent size, row-major. */
  means: Float32Array[];
}

/** The file beside a model's weights that holds its bank (optional: without it, the prior). */
export const LATENT_BANK_FILE = 'latents.bin';

/** `count` draws for factor `index`, each a bank row picked uniformly, scaled by the temperature. */
export function drawFromBank(
  bank: LatentBank,
  index: number,
  latent: number,
  count: number,
  temperature: number,
  rand: () => number,
): Float32Array {
  const out = new Float32Array(count * latent);
  const source = bank.means[index];
  for (let j = 0; j < count; j++) {
    const row = Math.min(bank.rows - 1, Math.floor(rand() * bank.rows));
    for (let m = 0; m < latent; m++) out[j * latent + m] = temperature * source[row * latent + m];
  }
  return out;
}

/** The bank as one little-endian float32 file: every factor's rows in config order. */
export function encodeLatentBank(bank: LatentBank): Buffer {
  const total = bank.means.reduce((a, m) => a + m.length, 0);
  const all = new Float32Array(total);
  let at = 0;
  for (const m of bank.means) {
    all.set(m, at);
    at += m.length;
  }
  return Buffer.from(all.buffer, all.byteOffset, all.byteLength);
}

/** Reads a bank file for `config`; its size must be a whole number of rows of every factor's latent. */
export function decodeLatentBank(bytes: Uint8Array, config: ModelConfig, file: string): LatentBank {
  const rowWidth = config.factors.reduce((a, f) => a + f.latent, 0);
  const floats = bytes.byteLength / 4;
  if (bytes.byteLength % 4 !== 0 || floats % rowWidth !== 0 || floats === 0) {
    throw new Error(
      `${file}: expected a whole number of rows of ${rowWidth} float32 latents (the factors of ${config.name}), got ${bytes.byteLength} bytes`,
    );
  }
  const rows = floats / rowWidth;
  const all = new Float32Array(new Uint8Array(bytes).buffer, 0, floats);
  const means: Float32Array[] = [];
  let at = 0;
  for (const f of config.factors) {
    means.push(all.slice(at, at + rows * f.latent));
    at += rows * f.latent;
  }
  return { rows, means };
}
