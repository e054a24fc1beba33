import { firstWeightMismatch, ModelFileError, readModelFileSet, weightTensors } from '../ml/model-io.js';
import { tf } from '../ml/runtime.js';
import { DRUM_COUNT } from '../pattern/drums.js';
import { STEPS } from '../pattern/pattern.js';
import { FEATURES, PATTERN_TENSOR_SIZE, tensorDataToPattern } from '../pattern/tensor-layout.js';
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
import { gaussian, mulberry32 } from './random.js';
import {
  MIN_SCALE,
  STEP_INPUT_WIDTH,
  STEP_OUTPUT_WIDTH,
  decodeSteps,
  writeStepInput,
  type StepGiven,
} from './step-decoder.js';

export type { Gestures };

export interface GenerateOptions {
  seed: number;
  /** Scale of prior samples for unspecified factors (1 = the prior itself). */
  temperature?: number;
  /** Given factors: the posterior's mean (default) or a sample from it. */
  posterior?: 'mean' | 'sample';
  /** Hits: thresholded at 0.5 (default) or sampled with a temperature. */
  hits?: 'threshold' | 'sample';
  /**
   * Play the given score exactly: while decoding, the hits of every given drum
   * (a `drums` row, or all nine from `score`) are forced to the given ones and
   * fed back as such, so the model writes velocity and timing for them and
   * fits the other drums around them. Off by default (the evaluation measures
   * the model's own fidelity); the box turns it on: the score is what to play.
   */
  keepGiven?: boolean;
  hitTemperature?: number;
  /**
   * Step decoder only: scale of the spread sampled around each note's most
   * likely velocity and offset (1 = the spread the model learned, 0 = always the
   * most likely value). Default 1.
   */
  valueTemperature?: number;
  /**
   * Step decoder only, when a groove is given: play where the groove has a hit
   * and nowhere else (a step the model left empty gets its likeliest drum; a hit
   * off the groove is dropped unless it is a given drum's). Default true: the
   * tapped rhythm is what the performer asked for.
   */
  followGroove?: boolean;
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
  // Per decoder layer: [Wx; Wh] stacked, so one matMul per step reads input and state.
  readonly #stacked: tf.Tensor2D[];
  #head: { outW: Float32Array; outB: Float32Array } | null = null;

  private constructor(
    readonly config: ModelConfig,
    params: Params,
    readonly manifest: Record<string, unknown>,
    readonly dir: string,
  ) {
    this.#params = params;
    this.#stacked = [];
    for (let l = 0; config.decoder.kind !== 'steps' && l < config.decoder.layers; l++) {
      this.#stacked.push(tf.concat([params.get(`dec.l${l}.Wx`)!, params.get(`dec.l${l}.Wh`)!], 0) as tf.Tensor2D);
    }
  }

  /** Loads a model folder; a missing/corrupt file or a config that does not match the weights is one clear error. */
  static load(dir: string): GrooveModel {
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
      return new GrooveModel(config, params, files.manifest, dir);
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
    tf.dispose([...this.#params.values(), ...this.#stacked]);
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
      patterns = this.#decode(latents.z, n, rand, options, options.keepGiven ? givenHits(requests) : null);
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
      const latents = this.#latents(inputs, n, rand, options);
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
    const patterns = drawSteps(raw, requests, options, rand);
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

  #latents(
    inputs: FactorInputs,
    n: number,
    rand: () => number,
    options: GenerateOptions,
  ): { z: tf.Tensor2D; aux: (tf.Tensor | null)[] } {
    const temperature = options.temperature ?? 1;
    const zs: tf.Tensor2D[] = [];
    const aux: (tf.Tensor | null)[] = [];
    this.config.factors.forEach((factor, i) => {
      const input = inputs[i];
      const eps = tf.tensor2d(gaussian(n * factor.latent, rand), [n, factor.latent]);
      let z: tf.Tensor2D;
      if (input) {
        const post = encodeFactor(this.#params, factor, i, input);
        z = options.posterior === 'sample' ? (tf.add(post.mu, tf.mul(post.sigma, eps)) as tf.Tensor2D) : post.mu;
      } else {
        z = tf.mul(eps, temperature) as tf.Tensor2D;
      }
      zs.push(z);
      aux.push(input && factor.auxiliary ? auxiliaryOutput(factor, decodeAuxiliary(this.#params, i, z)) : null);
    });
    return { z: zs.length === 1 ? zs[0] : (tf.concat(zs, 1) as tf.Tensor2D), aux };
  }

  /**
   * Step-by-step decoding: each step reads the previous step's generated output.
   * Returns the [N, 32, 27] values.
   *
   * Only the gate product (the one big matMul) runs as a kernel; the cell update and the
   * 27-wide output head are a few thousand flops done in plain JS on float32 storage. At
   * batch 1 every tfjs kernel call costs bookkeeping whatever its size, and a step as
   * tensor ops was a couple of dozen calls (split, sigmoids, tanhs, muls, concat, ...).
   * The latent's projection is added here, not given as the fused bias: a new bias tensor
   * per generation makes wasm's XNNPACK re-pack the whole weight matrix, every time.
   * (Figures: docs/performance-history.md.)
   */
  #decode(
    z: tf.Tensor2D,
    n: number,
    rand: () => number,
    options: GenerateOptions,
    forced: ForcedHits | null,
  ): Float32Array {
    const p = this.#params;
    const { layers, units } = this.config.decoder;
    const gateWidth = 4 * units;
    const zProj = valuesOf(() => tf.matMul(z, p.get('dec.l0.Wz')! as tf.Tensor2D));
    const h: Float32Array[] = [];
    const c: Float32Array[] = [];
    for (let l = 0; l < layers; l++) {
      const hc = valuesOf(() =>
        tf.tanh(tf.add(tf.matMul(z, p.get(`dec.init${l}.W`)! as tf.Tensor2D), p.get(`dec.init${l}.b`)!)),
      );
      h.push(new Float32Array(n * units));
      c.push(new Float32Array(n * units));
      for (let k = 0; k < n; k++) {
        h[l].set(hc.subarray(k * 2 * units, k * 2 * units + units), k * units);
        c[l].set(hc.subarray(k * 2 * units + units, (k + 1) * 2 * units), k * units);
      }
    }
    const { outW, outB } = this.#outputHead();
    // The latent's direct contribution to every step's output (config.decoder.skip), [n, 32 x 27].
    const skip = this.config.decoder.skip
      ? valuesOf(() => tf.add(tf.matMul(z, p.get('dec.skip.W')! as tf.Tensor2D), p.get('dec.skip.b')!))
      : null;
    const sampleHits = options.hits === 'sample';
    const hitTemperature = options.hitTemperature ?? 1;
    // Drawn before the loop, in [step][example][drum] order, so a seed gives the same hits whatever the batch code does.
    const uniforms = sampleHits ? Float32Array.from({ length: STEPS * n * DRUM_COUNT }, rand) : null;
    const out = new Float32Array(n * STEPS * FEATURES);
    let previous = new Float32Array(n * FEATURES);
    const raw = new Float32Array(FEATURES);
    for (let t = 0; t < STEPS; t++) {
      let x: Float32Array = previous;
      let xWidth = FEATURES;
      for (let l = 0; l < layers; l++) {
        const inWidth = xWidth + units;
        const xh = new Float32Array(n * inWidth);
        for (let k = 0; k < n; k++) {
          xh.set(x.subarray(k * xWidth, (k + 1) * xWidth), k * inWidth);
          xh.set(h[l].subarray(k * units, (k + 1) * units), k * inWidth + xWidth);
        }
        const stacked = this.#stacked[l];
        const bias = p.get(`dec.l${l}.b`)! as tf.Tensor1D;
        const gates = valuesOf(() => tf.fused.matMul({ a: tf.tensor2d(xh, [n, inWidth]), b: stacked, bias }));
        if (l === 0) for (let j = 0; j < gates.length; j++) gates[j] += zProj[j];
        // Gate order i, f, g, o (as in layers.ts lstmStep).
        const hl = h[l],
          cl = c[l];
        for (let k = 0; k < n; k++) {
          const g0 = k * gateWidth;
          for (let j = 0; j < units; j++) {
            const cell =
              sigmoid(gates[g0 + units + j]) * cl[k * units + j] +
              sigmoid(gates[g0 + j]) * Math.tanh(gates[g0 + 2 * units + j]);
            cl[k * units + j] = cell;
            hl[k * units + j] = sigmoid(gates[g0 + 3 * units + j]) * Math.tanh(cl[k * units + j]);
          }
        }
        x = hl;
        xWidth = units;
      }
      const next = new Float32Array(n * FEATURES);
      for (let k = 0; k < n; k++) {
        raw.set(outB);
        if (skip) for (let m = 0; m < FEATURES; m++) raw[m] += skip[(k * STEPS + t) * FEATURES + m];
        for (let j = 0; j < units; j++) {
          const hj = x[k * units + j];
          const row = j * FEATURES;
          for (let m = 0; m < FEATURES; m++) raw[m] += hj * outW[row + m];
        }
        const at = k * FEATURES;
        for (let d = 0; d < DRUM_COUNT; d++) {
          const logit = raw[d];
          const cell = (k * STEPS + t) * DRUM_COUNT + d;
          const hit = forced?.mask[cell]
            ? forced.value[cell]
            : uniforms
              ? uniforms[(t * n + k) * DRUM_COUNT + d] < sigmoid(logit / hitTemperature)
                ? 1
                : 0
              : logit > 0
                ? 1
                : 0;
          // Fed back exactly as training data looks: velocity and offset are 0 where there is no hit.
          next[at + d] = hit;
          next[at + DRUM_COUNT + d] = hit ? sigmoid(raw[DRUM_COUNT + d]) : 0;
          next[at + 2 * DRUM_COUNT + d] = hit ? Math.tanh(raw[2 * DRUM_COUNT + d]) : 0;
        }
        out.set(next.subarray(at, at + FEATURES), (k * STEPS + t) * FEATURES);
      }
      previous = next;
    }
    return out;
  }

  /** The output layer's weights as plain arrays, read once (they never change after load). */
  #outputHead(): { outW: Float32Array; outB: Float32Array } {
    this.#head ??= {
      outW: this.#params.get('dec.out.W')!.dataSync() as Float32Array,
      outB: this.#params.get('dec.out.b')!.dataSync() as Float32Array,
    };
    return this.#head;
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

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Hits to force while decoding, per request, step and drum (index (k * 32 + step) * 9 + drum). */
interface ForcedHits {
  mask: Uint8Array;
  value: Uint8Array;
}

/** The given drums' hits of every request (a `drums` row where given, else all nine from `score`). */
function givenHits(requests: Gestures[]): ForcedHits {
  const size = STEPS * DRUM_COUNT;
  const mask = new Uint8Array(requests.length * size);
  const value = new Uint8Array(requests.length * size);
  requests.forEach((g, k) => {
    givenDrumRows(g).forEach((row, d) => {
      if (!row) return;
      for (let step = 0; step < STEPS; step++) {
        const cell = k * size + step * DRUM_COUNT + d;
        mask[cell] = 1;
        value[cell] = row[step] > 0.5 ? 1 : 0;
      }
    });
  });
  return { mask, value };
}

/** What a request gives, as the step decoder reads it: a drum is given by its row, or by the full score. */
function stepGiven(g: Gestures): StepGiven {
  return { drums: givenDrumRows(g), groove: g.groove ?? null, accent: g.accent ?? null };
}

/** A draw from the standard Laplace distribution from a uniform in [0, 1). */
function laplace(u: number): number {
  const c = Math.min(Math.max(u, 1e-7), 1 - 1e-7) - 0.5;
  return -Math.sign(c) * Math.log(1 - 2 * Math.abs(c));
}

/**
 * Turns the step decoder's raw outputs [n, 32, 45] into pattern tensors [n, 32, 27]:
 * hits (forced, sampled or thresholded, then fitted to a given groove), then each
 * played note's velocity and offset drawn around the model's most likely value.
 */
function drawSteps(
  raw: Float32Array,
  requests: Gestures[],
  options: GenerateOptions,
  rand: () => number,
): Float32Array {
  const n = requests.length;
  const forced = options.keepGiven ? givenHits(requests) : null;
  const sampleHits = options.hits === 'sample';
  const hitTemperature = options.hitTemperature ?? 1;
  const valueTemperature = options.valueTemperature ?? 1;
  const followGroove = options.followGroove ?? true;
  const out = new Float32Array(n * STEPS * FEATURES);
  const D = DRUM_COUNT;
  for (let k = 0; k < n; k++) {
    const groove = followGroove ? (requests[k].groove ?? null) : null;
    for (let t = 0; t < STEPS; t++) {
      const r = (k * STEPS + t) * STEP_OUTPUT_WIDTH;
      const o = (k * STEPS + t) * FEATURES;
      const isForced = (d: number) => forced !== null && forced.mask[(k * STEPS + t) * D + d] === 1;
      // Uniforms drawn in a fixed order per cell, so a seed gives the same loop whatever is decided.
      const u = Array.from({ length: 3 * D }, rand);
      let any = false;
      for (let d = 0; d < D; d++) {
        const logit = raw[r + d];
        let hit: number;
        if (isForced(d)) hit = forced!.value[(k * STEPS + t) * D + d];
        else if (sampleHits) hit = u[d] < sigmoid(logit / hitTemperature) ? 1 : 0;
        else hit = logit > 0 ? 1 : 0;
        if (groove && !isForced(d) && groove.hits[t] <= 0.5) hit = 0;
        out[o + d] = hit;
        any ||= hit === 1;
      }
      if (groove && groove.hits[t] > 0.5 && !any) {
        let best = -1;
        for (let d = 0; d < D; d++) if (!isForced(d) && (best < 0 || raw[r + d] > raw[r + best])) best = d;
        if (best >= 0) out[o + best] = 1;
      }
      for (let d = 0; d < D; d++) {
        if (!out[o + d]) continue;
        const velocity = raw[r + D + d] + valueTemperature * softplusScale(raw[r + 2 * D + d]) * laplace(u[D + d]);
        const offset =
          raw[r + 3 * D + d] + valueTemperature * softplusScale(raw[r + 4 * D + d]) * laplace(u[2 * D + d]);
        out[o + D + d] = Math.min(1, Math.max(1 / 127, velocity));
        out[o + 2 * D + d] = Math.min(1, Math.max(-1, offset));
      }
    }
  }
  return out;
}

/** The step decoder's spread from its raw output (as stepHeads computes it). */
function softplusScale(x: number): number {
  return (x > 20 ? x : Math.log1p(Math.exp(x))) + MIN_SCALE;
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
