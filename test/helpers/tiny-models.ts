/**
 * Tiny versions of the four models and a handful of hand-written patterns to
 * train them on: the model tests and the CLI tests run in seconds this way,
 * with the very code (configs, trainStep, writeModelFiles) the real runs use.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeModelFiles } from '../../firmware-ts/ml/model-io.js';
import { tf } from '../../firmware-ts/ml/runtime.js';
import { MODEL_CONFIGS, type ModelConfig, type ModelName } from '../../firmware-ts/model/config.js';
import { gestureArrays } from '../../firmware-ts/model/features.js';
import { initParams, type Params } from '../../firmware-ts/model/params.js';
import { Pattern, STEPS } from '../../firmware-ts/pattern/pattern.js';
import { PATTERN_TENSOR_SIZE, patternToTensorData } from '../../firmware-ts/pattern/tensor-layout.js';
import { Adam } from '../../firmware-ts/train/adam.js';
import { evaluateLoss, trainStep } from '../../firmware-ts/train/trainer.js';

/** The real config's structure (factors, inputs, auxiliaries, dropout) with small widths. */
export function tinyConfig(name: ModelName): ModelConfig {
  const full = MODEL_CONFIGS[name];
  return {
    ...full,
    factors: full.factors.map((f) => ({ ...f, units: 8, latent: f.encoder === 'mlp' ? 2 : 4 })),
    decoder: { units: 16, layers: 1, auxUnits: 8 },
    train: { ...full.train, batchSize: 8 },
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

/** Trains a tiny model on the handful of patterns (full batches, fixed seeds). */
export function trainTiny(name: ModelName, steps: number, learningRate = 1e-2, seed = 1): Trained {
  const config = tinyConfig(name);
  const params = initParams(config, seed);
  const set = splitOf(handfulOfPatterns());
  const adam = new Adam(params);
  const indices = Array.from({ length: set.count }, (_, k) => k);
  const lossBefore = evaluateLoss(params, config, set, 99).loss;
  for (let step = 0; step < steps; step++) trainStep(params, adam, config, set, indices, seed * 1000 + step, learningRate);
  const lossAfter = evaluateLoss(params, config, set, 99).loss;
  tf.dispose([...adam.m.values(), ...adam.v.values()]);
  return { config, params, lossBefore, lossAfter };
}

/** A fresh temporary folder, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `groovebox-${prefix}-`));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Trains a tiny model briefly and writes it as a model folder `<root>/<name>`; returns that folder. */
export function writeTinyModel(root: string, name: ModelName, steps = 10): string {
  const { config, params } = trainTiny(name, steps);
  const dir = path.join(root, name);
  writeModelFiles(dir, config, params, { model: name, note: 'tiny test model' });
  tf.dispose([...params.values()]);
  return dir;
}
