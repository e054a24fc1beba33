/**
 * The one place tests get small models from: the real configs' structure with
 * small widths, given weights three ways, all seeded so a test's numbers repeat:
 *   - untrained or briefly trained on a handful of hand-written patterns, in
 *     memory (`trainTiny`) or as a model folder (`writeTinyModel`);
 *   - trained for one epoch on a sample of the dataset (`trainOnDatasetSample`),
 *     through the very `train` the real runs use.
 * Model folders are what the box and the CLI load: `<models>/<name>/` with
 * config.json, weights.bin and manifest.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeModelFiles } from '../../firmware-ts/ml/model-io.js';
import { tf, type BackendName } from '../../firmware-ts/ml/runtime.js';
import { MODEL_CONFIGS, type ModelConfig, type ModelName } from '../../firmware-ts/model/config.js';
import { gestureArrays } from '../../firmware-ts/pattern/gesture-layout.js';
import { disposeParams, initParams, type Params } from '../../firmware-ts/model/params.js';
import { Pattern, STEPS } from '../../firmware-ts/pattern/pattern.js';
import { PATTERN_TENSOR_SIZE, patternToTensorData } from '../../firmware-ts/pattern/tensor-layout.js';
import { Adam } from '../../firmware-ts/train/adam.js';
import { evaluateLoss, train, trainStep } from '../../firmware-ts/train/trainer.js';

/** What tests vary about a tiny model. */
export interface TinySize {
  /** Decoder LSTM units. */
  decoderUnits: number;
  /** Keep the real decoder's latent-to-output skip path (it adds weights and changes every output). */
  skip: boolean;
  /** 8 trains the handful of patterns as one batch; pass the real config's size for `train` on the dataset. */
  batchSize: number;
}

const TINY_SIZE: TinySize = { decoderUnits: 16, skip: false, batchSize: 8 };

/**
 * The real config's structure (factors, inputs, auxiliaries, dropout, loss) with
 * small widths: 8 encoder units, latents of 2 (MLP) or 4 (BiLSTM), a one-layer decoder.
 */
export function tinyConfig(name: ModelName, size: Partial<TinySize> = {}): ModelConfig {
  const { decoderUnits, skip, batchSize } = { ...TINY_SIZE, ...size };
  const full = MODEL_CONFIGS[name];
  return {
    ...full,
    factors: full.factors.map((f) => ({ ...f, units: 8, latent: f.encoder === 'mlp' ? 2 : 4 })),
    // No skip key at all unless asked for, so config.json reads back equal to this object.
    decoder: {
      ...(full.decoder.kind === 'steps' ? { kind: 'steps' as const, dilations: [1, 2] } : {}),
      units: decoderUnits,
      layers: 1,
      auxUnits: 8,
      ...(skip ? { skip } : {}),
    },
    train: { ...full.train, batchSize },
  };
}

/**
 * Eight 2-bar beats: kick/snare/hat variations with velocities and offsets, so every
 * gesture (score, groove, accent) has content.
 */
export function handfulOfPatterns(): Pattern[] {
  const out: Pattern[] = [];
  for (let v = 0; v < 8; v++) {
    const p = new Pattern();
    for (let s = 0; s < STEPS; s++) {
      const beat = s % 16;
      if (beat === 0 || beat === 8 || (v % 2 === 1 && beat === 10)) p.set(s, 0, 0.9 - 0.05 * v);
      if (beat === 4 || beat === 12) p.set(s, 1, 0.7 + 0.03 * v, 0.1 * (v % 3));
      if (s % (v < 4 ? 2 : 4) === 0) p.set(s, v % 3 === 0 ? 8 : 2, s % 4 === 0 ? 0.8 : 0.4, v % 4 === 2 ? 0.3 : -0.1);
      if (v === 5 && s === 0) p.set(s, 7, 1);
    }
    out.push(p);
  }
  return out;
}

export interface SplitLike {
  patterns: Float32Array;
  gestures: ReturnType<typeof gestureArrays>;
  count: number;
}

export function splitOf(patterns: Pattern[]): SplitLike {
  const data = new Float32Array(patterns.length * PATTERN_TENSOR_SIZE);
  patterns.forEach((p, k) => patternToTensorData(p, data, k * PATTERN_TENSOR_SIZE));
  return { patterns: data, gestures: gestureArrays(data), count: patterns.length };
}

export interface Trained {
  config: ModelConfig;
  params: Params;
  lossBefore: number;
  lossAfter: number;
}

export interface TinyTraining {
  learningRate?: number;
  /** Seeds the initial weights and every step's sampling. */
  seed?: number;
  size?: Partial<TinySize>;
}

/** Trains a tiny model on the handful of patterns (full batches, fixed seeds). */
export function trainTiny(name: ModelName, steps: number, options: TinyTraining = {}): Trained {
  const { learningRate = 1e-2, seed = 1, size } = options;
  const config = tinyConfig(name, size);
  const params = initParams(config, seed);
  const set = splitOf(handfulOfPatterns());
  const adam = new Adam(params);
  const indices = Array.from({ length: set.count }, (_, k) => k);
  const lossBefore = evaluateLoss(params, config, set, 99).loss;
  for (let step = 0; step < steps; step++)
    trainStep(params, adam, config, set, indices, seed * 1000 + step, learningRate);
  const lossAfter = evaluateLoss(params, config, set, 99).loss;
  tf.dispose([...adam.m.values(), ...adam.v.values()]);
  return { config, params, lossBefore, lossAfter };
}

/** A fresh temporary folder, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `groovebox-${prefix}-`));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface TinyModelOptions extends Omit<TinyTraining, 'learningRate'> {
  /** Training steps on the handful of patterns; 0 writes the seeded initial weights untrained. */
  steps?: number;
}

/** Writes a tiny model as the model folder `<root>/<name>` (trained briefly unless `steps` is 0); returns that folder. */
export function writeTinyModel(root: string, name: ModelName, options: TinyModelOptions = {}): string {
  const { steps = 10, seed = 1, size } = options;
  const config = tinyConfig(name, size);
  const params = steps > 0 ? trainTiny(name, steps, { seed, size }).params : initParams(config, seed);
  const dir = path.join(root, name);
  const note = steps > 0 ? `tiny test model, ${steps} steps on a handful of patterns` : 'tiny test model, untrained';
  writeModelFiles(dir, config, params, { model: name, note });
  disposeParams(params);
  return dir;
}

export interface DatasetSample {
  dataDir: string;
  backend: BackendName;
  seed: number;
}

/**
 * Trains `config` for one epoch on the dataset's first 128 training windows (one
 * batch at the real batch size of 128) with `train`, which ships the model to
 * `<modelsDir>/<config.name>`; returns that folder. The caller checks the dataset is there.
 */
export async function trainOnDatasetSample(
  modelsDir: string,
  config: ModelConfig,
  sample: DatasetSample,
): Promise<string> {
  const outDir = path.join(modelsDir, config.name);
  await train({
    config,
    outDir,
    dataDir: sample.dataDir,
    epochs: 1,
    maxMinutes: 10,
    resume: false,
    seed: sample.seed,
    backend: sample.backend,
    checkpointSeconds: 1e9,
    limit: 128,
    log: () => {},
  });
  return outDir;
}
