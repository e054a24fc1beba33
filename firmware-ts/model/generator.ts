import fs from 'node:fs';
import path from 'node:path';
import { firstWeightMismatch, ModelFileError, readModelFileSet, weightTensors } from '../ml/model-io.js';
import { tf } from '../ml/runtime.js';
import { DRUM_COUNT } from '../pattern/drums.js';
import { STEPS } from '../pattern/pattern.js';
import { PATTERN_TENSOR_SIZE, tensorDataToPattern } from '../pattern/tensor-layout.js';
import type { Groove } from '../pattern/gestures.js';
import {
  drumRow,
  drumRowsToScore,
  givenDrumRows,
  packGroove,
  unpackGroove,
  type Gestures,
} from '../pattern/gesture-layout.js';
import type { Pattern } from '../pattern/pattern.js';
import { validateConfig, type FactorConfig, type ModelConfig } from './config.js';
import { decodeAuxiliary, encodeFactor } from './network.js';
import { auxOutputWidth, paramSpecs, type Params } from './params.js';
import { DEFAULT_LATENT_CANDIDATES, evidenceFor, evidenceLogLikelihood, resample } from './consistent-latents.js';
import { decodeLatentBank, drawFromBank, LATENT_BANK_FILE, type LatentBank } from './latent-bank.js';
import { gaussian, mulberry32 } from './random.js';
import { drawSteps, givenHits, type NoteDrawOptions } from './draw-notes.js';
import { LstmDecoder } from './lstm-decoder.js';
import { decodeUnderTap, UNDER_TAP_MANIFEST_FILE, UNDER_TAP_WEIGHTS_FILE, type UnderTapNet } from './under-tap.js';
import { UnderTapTensors } from './under-tap-tensors.js';
import { STEP_INPUT_WIDTH, decodeSteps, writeStepInput, type StepGiven } from './step-decoder.js';
import {
  decodeVelocityCalibration,
  VELOCITY_CALIBRATION_FILE,
  type VelocityCalibration,
} from './velocity-calibration.js';

export type { Gestures };

export interface GenerateOptions extends NoteDrawOptions {
  seed: number;
  /** Scale of prior samples for unspecified factors (1 = the prior itself). */
  temperature?: number;
  /** Given factors: the posterior's mean (default) or a sample from it. */
  posterior?: 'mean' | 'sample';
  /**
   * Step decoder only: prior draws weighed per hidden factor so its latent agrees with the
   * given gestures (consistent-latents.ts). Default 32; 0 or 1 = one plain prior draw.
   */
  latentCandidates?: number;
}

/** The model's interpretation of each given gesture (auxiliary decoders), as probabilities / values. */
export interface Reconstructions {
  score?: Float32Array;
  drums?: (Float32Array | null)[];
  groove?: Groove;
  accent?: Float32Array;
}

export interface Generated {
  pattern: Pattern;
  reconstructions: Reconstructions;
}

/** Inputs of a batch, one per factor: a [N, ...] tensor where given, null where sampled from the prior. */
type FactorInputs = (tf.Tensor | null)[];

/**
 * A trained model for generation: loads once, then generates step by step
 * with core ops (no layers model). Used by the CLI, the daemon's worker and
 * the evaluation alike.
 */
export class GrooveModel {
  readonly #params: Params;
  readonly #lstm: LstmDecoder | null;
  #bank: LatentBank | null = null;
  #calibration: VelocityCalibration | null = null;
  #underTap: UnderTapTensors | null = null;

  private constructor(
    readonly config: ModelConfig,
    params: Params,
    readonly manifest: Record<string, unknown>,
    readonly dir: string,
  ) {
    this.#params = params;
    this.#lstm = config.decoder.kind === 'steps' ? null : new LstmDecoder(config, params);
  }

  /**
   * Loads a model folder; a missing/corrupt file or a config that does not match the weights is one clear error.
   * `calibration: false` leaves the velocity calibration file unread (`groovebox calibrate` refits it, even a bad one);
   * `underTap: false` the under-tap network's (`groovebox fit-under-tap`).
   */
  static load(dir: string, options: { calibration?: boolean; underTap?: boolean } = {}): GrooveModel {
    // Everything is checked before a tensor exists, so a failed load leaks nothing.
    const files = readModelFileSet(dir);
    let config: ModelConfig;
    try {
      config = validateConfig(files.config, files.paths.config);
    } catch (err) {
      // The same typed error as every other bad model file, so callers (CLI, daemon) print one line.
      throw new ModelFileError(files.paths.config, (err as Error).message.replace(`${files.paths.config}: `, ''));
    }
    const specs = paramSpecs(config);
    const mismatch = firstWeightMismatch(files.manifest.weights, specs, 'config.json');
    if (mismatch) throw new ModelFileError(files.paths.manifest, mismatch);
    const tensors = weightTensors(files);
    try {
      const params: Params = new Map(specs.map((spec) => [spec.name, tensors.get(spec.name) as tf.Variable]));
      const model = new GrooveModel(config, params, files.manifest, dir);
      const bankFile = path.join(dir, LATENT_BANK_FILE);
      if (config.decoder.kind === 'steps' && fs.existsSync(bankFile))
        model.useLatentBank(decodeLatentBank(fs.readFileSync(bankFile), config, bankFile));
      const calibrationFile = path.join(dir, VELOCITY_CALIBRATION_FILE);
      if (config.decoder.kind === 'steps' && (options.calibration ?? true) && fs.existsSync(calibrationFile))
        model.useVelocityCalibration(
          decodeVelocityCalibration(fs.readFileSync(calibrationFile, 'utf8'), calibrationFile),
        );
      if (config.decoder.kind === 'steps' && (options.underTap ?? true)) model.useUnderTap(readUnderTap(dir));
      return model;
    } catch (err) {
      tf.dispose([...tensors.values()]);
      throw err;
    }
  }

  /** For tests and training code: wrap in-memory weights. */
  static fromParams(config: ModelConfig, params: Params): GrooveModel {
    return new GrooveModel(config, params, {}, '(memory)');
  }

  get name(): string {
    return this.config.name;
  }

  /** The loaded weights, for the evaluation's teacher-forced losses (firmware-ts/eval); not for mutation. */
  get params(): ReadonlyMap<string, tf.Variable> {
    return this.#params;
  }

  dispose(): void {
    tf.dispose([...this.#params.values()]);
    this.#lstm?.dispose();
    this.#underTap?.dispose();
  }

  /** Batch-1 generation: the pattern plus the auxiliary reconstruction of every given gesture. */
  generate(gestures: Gestures, options: GenerateOptions): Generated {
    const out = this.generateBatch([gestures], options);
    return out[0];
  }

  /**
   * Generation for N requests that give the same set of gestures (e.g. the
   * evaluation's windows). Deterministic for a seed.
   */
  generateBatch(requests: Gestures[], options: GenerateOptions): Generated[] {
    const n = requests.length;
    const rand = mulberry32(options.seed);
    if (this.config.decoder.kind === 'steps') return this.#generateSteps(requests, options, rand);
    let patterns: Float32Array = new Float32Array(0);
    let aux: (Float32Array | null)[] = [];
    tf.tidy(() => {
      const inputs = this.#factorInputs(requests);
      const latents = this.#latents(inputs, n, rand, options);
      patterns = this.#lstm!.decode(latents.z, n, rand, options, options.keepGiven ? givenHits(requests) : null);
      aux = latents.aux.map((a) => (a ? (a.dataSync() as Float32Array) : null));
    });
    return requests.map((_, k) => ({
      pattern: tensorDataToPattern(patterns, k * PATTERN_TENSOR_SIZE),
      reconstructions: this.#reconstructions(aux, k),
    }));
  }

  /** generateBatch for the step decoder: one pass over all steps, then the notes are drawn in plain JS. */
  #generateSteps(requests: Gestures[], options: GenerateOptions, rand: () => number): Generated[] {
    const n = requests.length;
    let raw: Float32Array = new Float32Array(0);
    let aux: (Float32Array | null)[] = [];
    tf.tidy(() => {
      const inputs = this.#factorInputs(requests);
      const latents = this.#latents(inputs, n, rand, options, requests);
      const stepInput = new Float32Array(n * STEPS * STEP_INPUT_WIDTH);
      requests.forEach((g, k) => writeStepInput(stepGiven(g), stepInput, k * STEPS * STEP_INPUT_WIDTH));
      raw = decodeSteps(
        this.#params,
        this.config,
        tf.tensor3d(stepInput, [n, STEPS, STEP_INPUT_WIDTH]),
        latents.z,
      ).dataSync() as Float32Array;
      aux = latents.aux.map((a) => (a ? (a.dataSync() as Float32Array) : null));
    });
    const patterns = drawSteps(raw, requests, options, rand, {
      calibration: this.#calibration,
      underTap: this.#underTap?.predict,
    });
    return requests.map((_, k) => ({
      pattern: tensorDataToPattern(patterns, k * PATTERN_TENSOR_SIZE),
      reconstructions: this.#reconstructions(aux, k),
    }));
  }

  /** Builds each factor's input tensor from the gestures; null when not given (by the first request). */
  #factorInputs(requests: Gestures[]): FactorInputs {
    const n = requests.length;
    return this.config.factors.map((factor) => {
      const rows = requests.map((r) => factorRow(factor, r));
      if (rows[0] === null) return null;
      if (rows.some((r) => r === null))
        throw new Error(`generateBatch: every request must give the same gestures (${factor.input} differs)`);
      const width = rows[0].length;
      const flat = new Float32Array(n * width);
      rows.forEach((r, k) => flat.set(r!, k * width));
      const perStep = width / STEPS;
      const seq = tf.tensor3d(flat, [n, STEPS, perStep]);
      return factor.encoder === 'bilstm' ? seq : tf.reshape(seq, [n, width]);
    });
  }

  /** Latents for a factor left to the model: from the latent bank when the model has one, else the prior. */
  #hiddenDraws(index: number, count: number, temperature: number, rand: () => number): Float32Array {
    const latent = this.config.factors[index].latent;
    if (this.#bank) return drawFromBank(this.#bank, index, latent, count, temperature, rand);
    return gaussian(count * latent, rand).map((x) => x * temperature);
  }

  /** Uses `bank` for hidden factors from now on (null: the prior); the training code sets it after fitting. */
  useLatentBank(bank: LatentBank | null): void {
    this.#bank = bank;
  }

  /** Places the notes under a tap with `net` from now on (null: at the decoder's values). */
  useUnderTap(net: UnderTapNet | null): void {
    this.#underTap?.dispose();
    this.#underTap = net ? new UnderTapTensors(net) : null;
  }

  /** Maps velocities through `calibration` from now on (null: as drawn). */
  useVelocityCalibration(calibration: VelocityCalibration | null): void {
    this.#calibration = calibration;
  }

  /**
   * Every factor's posterior mean for each request (all must give every factor): the rows
   * of a latent bank.
   */
  posteriorMeans(requests: Gestures[]): Float32Array[] {
    const means: Float32Array[] = [];
    tf.tidy(() => {
      const inputs = this.#factorInputs(requests);
      this.config.factors.forEach((factor, i) => {
        const input = inputs[i];
        if (!input) throw new Error(`posteriorMeans: every request must give ${factor.input}`);
        means.push(encodeFactor(this.#params, factor, i, input).mu.dataSync() as Float32Array);
      });
    });
    return means;
  }

  /**
   * A hidden factor's latent per request: `candidates` prior draws read through the factor's
   * auxiliary decoder, one resampled by how well it agrees with the request's given gestures.
   */
  #consistentPriorDraw(
    factor: FactorConfig,
    index: number,
    requests: Gestures[],
    candidates: number,
    temperature: number,
    rand: () => number,
  ): tf.Tensor2D {
    const n = requests.length;
    const width = factor.latent;
    const draws = this.#hiddenDraws(index, n * candidates, temperature, rand);
    const evidence = requests.map((g) => evidenceFor(factor, g));
    const chosen = new Float32Array(n * width);
    let read: Float32Array | null = null;
    if (evidence.some((e) => e !== null)) {
      read = valuesOf(() =>
        auxiliaryOutput(factor, decodeAuxiliary(this.#params, index, tf.tensor2d(draws, [n * candidates, width]))),
      );
    }
    const auxWidth = auxOutputWidth(factor);
    for (let k = 0; k < n; k++) {
      const u = rand();
      const e = evidence[k];
      let pick = 0;
      if (e && read) {
        const ll = Array.from({ length: candidates }, (_, j) =>
          evidenceLogLikelihood(factor, read!, (k * candidates + j) * auxWidth, e),
        );
        pick = resample(ll, u);
      }
      const from = (k * candidates + pick) * width;
      chosen.set(draws.subarray(from, from + width), k * width);
    }
    return tf.tensor2d(chosen, [n, width]);
  }

  #latents(
    inputs: FactorInputs,
    n: number,
    rand: () => number,
    options: GenerateOptions,
    requests?: Gestures[],
  ): { z: tf.Tensor2D; aux: (tf.Tensor | null)[] } {
    const temperature = options.temperature ?? 1;
    const zs: tf.Tensor2D[] = [];
    const aux: (tf.Tensor | null)[] = [];
    // The paper's models draw hidden latents from the prior as they were trained; the step decoder's
    // are drawn to agree with the given gestures (consistent-latents.ts).
    const candidates =
      this.config.decoder.kind === 'steps' ? (options.latentCandidates ?? DEFAULT_LATENT_CANDIDATES) : 0;
    this.config.factors.forEach((factor, i) => {
      const input = inputs[i];
      let z: tf.Tensor2D;
      if (input) {
        const eps = tf.tensor2d(gaussian(n * factor.latent, rand), [n, factor.latent]);
        const post = encodeFactor(this.#params, factor, i, input);
        z = options.posterior === 'sample' ? (tf.add(post.mu, tf.mul(post.sigma, eps)) as tf.Tensor2D) : post.mu;
      } else if (candidates > 1 && factor.auxiliary && requests) {
        z = this.#consistentPriorDraw(factor, i, requests, candidates, temperature, rand);
      } else {
        z = tf.tensor2d(this.#hiddenDraws(i, n, temperature, rand), [n, factor.latent]);
      }
      zs.push(z);
      aux.push(input && factor.auxiliary ? auxiliaryOutput(factor, decodeAuxiliary(this.#params, i, z)) : null);
    });
    return { z: zs.length === 1 ? zs[0] : (tf.concat(zs, 1) as tf.Tensor2D), aux };
  }

  #reconstructions(aux: (Float32Array | null)[], k: number): Reconstructions {
    const out: Reconstructions = {};
    this.config.factors.forEach((factor, i) => {
      const a = aux[i];
      if (!a) return;
      const size = auxOutputWidth(factor);
      const row = a.slice(k * size, (k + 1) * size);
      if (factor.input === 'score') out.score = row;
      else if (factor.input === 'accent') out.accent = row;
      else if (factor.input === 'groove') {
        out.groove = unpackGroove(row);
      } else {
        out.drums ??= new Array(DRUM_COUNT).fill(null);
        out.drums[Number(factor.input.slice(4))] = row;
      }
    });
    return out;
  }
}

/**
 * Runs `fn` in a tidy scope and returns its values. (Not `tf.tidy(() => t.dataSync())`:
 * tidy walks whatever its function returns looking for tensors, element by element.)
 */
function valuesOf(fn: () => tf.Tensor): Float32Array {
  let values: Float32Array | null = null;
  tf.tidy(() => {
    values = fn().dataSync() as Float32Array;
  });
  return values!;
}

/** What a request gives, as the step decoder reads it: a drum is given by its row, or by the full score. */
function stepGiven(g: Gestures): StepGiven {
  return { drums: givenDrumRows(g), groove: g.groove ?? null, accent: g.accent ?? null };
}

/** Aux decoder output as probabilities (hits), velocities 0..1 and offsets -1..1. */
function auxiliaryOutput(factor: FactorConfig, raw: tf.Tensor2D): tf.Tensor {
  if (factor.input !== 'groove') return tf.sigmoid(raw);
  const n = raw.shape[0];
  const [h, v, o] = tf.split(tf.reshape(raw, [n, STEPS, 3]), 3, 2);
  return tf.reshape(tf.concat([tf.sigmoid(h), tf.sigmoid(v), tf.tanh(o)], 2), [n, STEPS * 3]);
}

/** One request's input row for a factor (per-step layout, flattened), or null when not given. */
function factorRow(factor: FactorConfig, g: Gestures): Float32Array | null {
  if (factor.input === 'score') {
    if (g.score) return g.score;
    if (g.drums && g.drums.some((d) => d !== null)) return drumRowsToScore(g.drums);
    return null;
  }
  if (factor.input === 'groove') {
    return g.groove ? packGroove(g.groove) : null;
  }
  if (factor.input === 'accent') return g.accent ?? null;
  const drum = Number(factor.input.slice(4));
  if (g.drums) return g.drums[drum] ?? null;
  return g.score ? drumRow(g.score, drum, true) : null;
}

/** The under-tap network in a model folder (model/under-tap.ts), null where it has none; half of its two files is an error. */
function readUnderTap(dir: string): UnderTapNet | null {
  const manifestFile = path.join(dir, UNDER_TAP_MANIFEST_FILE);
  const weightsFile = path.join(dir, UNDER_TAP_WEIGHTS_FILE);
  const present = [manifestFile, weightsFile].filter((f) => fs.existsSync(f));
  if (present.length === 0) return null;
  if (present.length === 1) {
    const missing = present[0] === manifestFile ? weightsFile : manifestFile;
    throw new ModelFileError(
      missing,
      `missing: ${path.basename(present[0])} is there and needs it (groovebox fit-under-tap writes both)`,
    );
  }
  return decodeUnderTap(fs.readFileSync(manifestFile, 'utf8'), manifestFile, fs.readFileSync(weightsFile), weightsFile)
    .net;
}
