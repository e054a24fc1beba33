import { readModelFiles, ModelFileError } from '../ml/model-io.js';
import { tf } from '../ml/runtime.js';
import { DRUM_COUNT } from '../pattern/drums.js';
import { STEPS } from '../pattern/pattern.js';
import { FEATURES, PATTERN_TENSOR_SIZE, tensorDataToPattern } from '../pattern/tensor-layout.js';
import type { Accent, DrumScores, Groove, Score } from '../pattern/gestures.js';
import type { Pattern } from '../pattern/pattern.js';
import { validateConfig, type FactorConfig, type ModelConfig } from './config.js';
import { decodeAuxiliary, encodeFactor } from './network.js';
import { paramSpecs, type Params } from './params.js';
import { gaussian, mulberry32 } from './random.js';
import path from 'node:path';

/**
 * What the performer gave. Anything left out (or null) is unspecified: its
 * latent is sampled from the prior. For per-drum models, `drums[d] = null`
 * means "the model decides", an all-zero row means "do not play this drum".
 */
export interface Gestures {
  /** Full score, 32 x 9 hits (used by score-input models; split per drum for the 11-input model). */
  score?: Score | null;
  drums?: DrumScores;
  groove?: Groove | null;
  accent?: Accent | null;
}

export interface GenerateOptions {
  seed: number;
  /** Scale of prior samples for unspecified factors (1 = the prior itself). */
  temperature?: number;
  /** Given factors: the posterior's mean (default) or a sample from it. */
  posterior?: 'mean' | 'sample';
  /** Hits: thresholded at 0.5 (default) or sampled with a temperature. */
  hits?: 'threshold' | 'sample';
  hitTemperature?: number;
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

  private constructor(readonly config: ModelConfig, params: Params, readonly manifest: Record<string, unknown>, readonly dir: string) {
    this.#params = params;
    this.#stacked = [];
    for (let l = 0; l < config.decoder.layers; l++) {
      this.#stacked.push(tf.concat([params.get(`dec.l${l}.Wx`)!, params.get(`dec.l${l}.Wh`)!], 0) as tf.Tensor2D);
    }
  }

  /** Loads a model folder; a missing/corrupt file or a config that does not match the weights is one clear error. */
  static load(dir: string): GrooveModel {
    const files = readModelFiles(dir);
    const config = validateConfig(files.config, path.join(dir, 'config.json'));
    const params: Params = new Map();
    for (const spec of paramSpecs(config)) {
      const t = files.tensors.get(spec.name);
      if (!t) throw new ModelFileError(path.join(dir, 'manifest.json'), `weight ${spec.name} missing: config.json does not match the weights`);
      if (t.shape.join('x') !== spec.shape.join('x')) {
        throw new ModelFileError(path.join(dir, 'manifest.json'), `weight ${spec.name} has shape ${t.shape.join('x')}, config.json needs ${spec.shape.join('x')}`);
      }
      params.set(spec.name, t as tf.Variable);
    }
    for (const [name, t] of files.tensors) if (!params.has(name)) t.dispose();
    return new GrooveModel(config, params, files.manifest, dir);
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
    let patterns: Float32Array = new Float32Array(0);
    let aux: (Float32Array | null)[] = [];
    tf.tidy(() => {
      const inputs = this.#factorInputs(requests);
      const latents = this.#latents(inputs, n, rand, options);
      patterns = this.#decode(latents.z, n, rand, options).dataSync() as Float32Array;
      aux = latents.aux.map((a) => (a ? (a.dataSync() as Float32Array) : null));
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
      if (rows.some((r) => r === null)) throw new Error(`generateBatch: every request must give the same gestures (${factor.input} differs)`);
      const width = rows[0].length;
      const flat = new Float32Array(n * width);
      rows.forEach((r, k) => flat.set(r!, k * width));
      const perStep = width / STEPS;
      const seq = tf.tensor3d(flat, [n, STEPS, perStep]);
      return factor.encoder === 'bilstm' ? seq : tf.reshape(seq, [n, width]);
    });
  }

  #latents(inputs: FactorInputs, n: number, rand: () => number, options: GenerateOptions): { z: tf.Tensor2D; aux: (tf.Tensor | null)[] } {
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

  /** Step-by-step decoding: each step reads the previous step's generated output. Returns [N, 32, 27]. */
  #decode(z: tf.Tensor2D, n: number, rand: () => number, options: GenerateOptions): tf.Tensor3D {
    const p = this.#params;
    const { layers } = this.config.decoder;
    const states = [];
    for (let l = 0; l < layers; l++) {
      const [h, c] = tf.split(tf.tanh(tf.add(tf.matMul(z, p.get(`dec.init${l}.W`)! as tf.Tensor2D), p.get(`dec.init${l}.b`)!)), 2, 1) as tf.Tensor2D[];
      states.push({ h, c });
    }
    const zProj = tf.add(tf.matMul(z, p.get('dec.l0.Wz')! as tf.Tensor2D), p.get('dec.l0.b')!);
    // Fused matMul+bias saves a kernel call per layer and step; it takes a rank-1 bias,
    // which layer 0's per-sequence bias (the latent's projection) is only at batch 1.
    // (sum over the batch axis, not reshape: the wasm kernel reads the shape its data was made with.)
    const biases = Array.from({ length: layers }, (_, l) => (l === 0 ? (n === 1 ? tf.sum(zProj, 0) : zProj) : p.get(`dec.l${l}.b`)!));
    const outW = p.get('dec.out.W')! as tf.Tensor2D;
    const outB = p.get('dec.out.b')! as tf.Tensor1D;
    const sampleHits = options.hits === 'sample';
    const hitTemperature = options.hitTemperature ?? 1;
    const uniforms = sampleHits ? tf.tensor3d(Float32Array.from({ length: STEPS * n * DRUM_COUNT }, rand), [STEPS, n, DRUM_COUNT]) : null;
    let previous: tf.Tensor2D = tf.zeros([n, FEATURES]);
    const steps: tf.Tensor2D[] = [];
    for (let t = 0; t < STEPS; t++) {
      let x: tf.Tensor2D = previous;
      for (let l = 0; l < layers; l++) {
        const xh = tf.concat([x, states[l].h], 1) as tf.Tensor2D;
        const gates = biases[l].rank === 1 ? tf.fused.matMul({ a: xh, b: this.#stacked[l], bias: biases[l] }) : tf.add(tf.matMul(xh, this.#stacked[l]), biases[l]);
        const [i, f, g, o] = tf.split(gates, 4, 1);
        const c = tf.add(tf.mul(tf.sigmoid(f), states[l].c), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
        const h = tf.mul(tf.sigmoid(o), tf.tanh(c)) as tf.Tensor2D;
        states[l] = { h, c };
        x = h;
      }
      const raw = tf.fused.matMul({ a: x, b: outW, bias: outB });
      const [logits, velocityLogits, offsetRaw] = tf.split(raw, 3, 1);
      let hits: tf.Tensor;
      if (uniforms) {
        const u = tf.squeeze(tf.slice(uniforms, [t, 0, 0], [1, -1, -1]), [0]);
        hits = tf.cast(tf.less(u, tf.sigmoid(tf.div(logits, hitTemperature))), 'float32');
      } else {
        hits = tf.step(logits); // 1 where the hit probability is above 0.5
      }
      // Fed back exactly as training data looks: velocity and offset are 0 where there is no hit.
      previous = tf.concat([hits, tf.mul(hits, tf.sigmoid(velocityLogits)), tf.mul(hits, tf.tanh(offsetRaw))], 1) as tf.Tensor2D;
      steps.push(previous);
    }
    return tf.stack(steps, 1) as tf.Tensor3D;
  }

  #reconstructions(aux: (Float32Array | null)[], k: number): Reconstructions {
    const out: Reconstructions = {};
    this.config.factors.forEach((factor, i) => {
      const a = aux[i];
      if (!a) return;
      const size = factor.input === 'score' ? STEPS * DRUM_COUNT : factor.input === 'groove' ? STEPS * 3 : STEPS;
      const row = a.slice(k * size, (k + 1) * size);
      if (factor.input === 'score') out.score = row;
      else if (factor.input === 'accent') out.accent = row;
      else if (factor.input === 'groove') {
        const g: Groove = { hits: new Float32Array(STEPS), velocities: new Float32Array(STEPS), offsets: new Float32Array(STEPS) };
        for (let s = 0; s < STEPS; s++) {
          g.hits[s] = row[s * 3];
          g.velocities[s] = row[s * 3 + 1];
          g.offsets[s] = row[s * 3 + 2];
        }
        out.groove = g;
      } else {
        out.drums ??= new Array(DRUM_COUNT).fill(null);
        out.drums[Number(factor.input.slice(4))] = row;
      }
    });
    return out;
  }
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
    if (g.drums && g.drums.some((d) => d !== null)) {
      const s = new Float32Array(STEPS * DRUM_COUNT);
      g.drums.forEach((row, d) => row?.forEach((v, step) => { s[step * DRUM_COUNT + d] = v > 0.5 ? 1 : 0; }));
      return s;
    }
    return null;
  }
  if (factor.input === 'groove') {
    if (!g.groove) return null;
    const row = new Float32Array(STEPS * 3);
    for (let s = 0; s < STEPS; s++) {
      row[s * 3] = g.groove.hits[s] > 0.5 ? 1 : 0;
      row[s * 3 + 1] = row[s * 3] ? g.groove.velocities[s] : 0;
      row[s * 3 + 2] = row[s * 3] ? g.groove.offsets[s] : 0;
    }
    return row;
  }
  if (factor.input === 'accent') return g.accent ?? null;
  const drum = Number(factor.input.slice(4));
  if (g.drums) return g.drums[drum] ?? null;
  if (g.score) {
    const row = new Float32Array(STEPS);
    for (let s = 0; s < STEPS; s++) row[s] = g.score[s * DRUM_COUNT + drum] > 0.5 ? 1 : 0;
    return row;
  }
  return null;
}
