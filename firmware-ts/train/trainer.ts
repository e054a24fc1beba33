import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { loadCache } from '../dataset/cache.js';
import { writeModelFiles } from '../ml/model-io.js';
import { fitLatentBank, usesLatentBank } from './latent-bank-fit.js';
import { tf, type BackendName } from '../ml/runtime.js';
import type { ModelConfig } from '../model/config.js';
import {
  GROOVE_SIZE,
  SCORE_SIZE,
  drumRow,
  gestureArrays,
  unpackGroove,
  type GestureArrays,
} from '../pattern/gesture-layout.js';
import { computeLoss, type LossParts } from '../model/network.js';
import { initParams, paramCount, type Params } from '../model/params.js';
import { gaussian, mulberry32 } from '../model/random.js';
import { STEPS } from '../pattern/pattern.js';
import { DRUM_COUNT } from '../pattern/drums.js';
import { STEP_INPUT_WIDTH, writeStepInput, type StepGiven } from '../model/step-decoder.js';
import { FEATURES, PATTERN_TENSOR_SIZE } from '../pattern/tensor-layout.js';
import { writeFileAtomicSync } from '../storage/atomic-file.js';
import { Adam } from './adam.js';
import { checkpointStateFile, loadCheckpoint, writeCheckpoint, type RunState } from './checkpoint.js';
import { Progress } from './progress.js';
import type { GradientReply, GradientRequest, GradientWorkerData } from './gradient-worker.js';

export interface TrainOptions {
  config: ModelConfig;
  /** Folder the trained model is shipped in (models/<name>). */
  outDir: string;
  dataDir: string;
  epochs: number;
  /** Stop (after a checkpoint) once this much training time has been spent in total. */
  maxMinutes: number;
  resume: boolean;
  seed: number;
  backend: BackendName;
  checkpointSeconds: number;
  /** Use only the first N training windows (tests, smoke runs). */
  limit?: number;
  log: (msg: string) => void;
  /** Threads computing each batch: 2 puts a gradient worker on the second core (default 1). */
  threads?: number;
}

export interface Split {
  patterns: Float32Array;
  gestures: GestureArrays;
  count: number;
}

const PART_NAMES = ['loss', 'hits', 'velocities', 'offsets', 'klBits', 'aux'] as const;

/** Trains one model; resumable; writes the best weights to outDir. Returns the final state. */
export async function train(opts: TrainOptions): Promise<RunState> {
  const { config, outDir, log } = opts;
  const checkpointDir = path.join(outDir, 'checkpoint');
  const cache = loadCache(opts.dataDir, log);
  const limit = opts.limit ?? Infinity;
  const pick = (split: 'train' | 'validation'): Split => {
    const count = Math.min(
      cache.splits[split].count,
      split === 'train' ? limit : Math.max(64, Math.min(limit, cache.splits[split].count)),
    );
    const patterns = cache.splits[split].data.subarray(0, count * PATTERN_TENSOR_SIZE);
    return { patterns, gestures: gestureArrays(patterns), count };
  };
  const trainSet = pick('train');
  const validationSet = pick('validation');
  // Checked before any weight exists: a refusal leaves no tensors behind.
  const batchSize = config.train.batchSize;
  const batchesPerEpoch = Math.floor(trainSet.count / batchSize);
  if (batchesPerEpoch < 1)
    throw new Error(`only ${trainSet.count} training windows: fewer than one batch of ${batchSize}`);

  let params: Params;
  let adam: Adam;
  let state: RunState;
  if (opts.resume && fs.existsSync(checkpointStateFile(checkpointDir))) {
    ({ params, adam, state } = loadCheckpoint(checkpointDir, config, {
      cacheHash: cache.windowsHash,
      trainWindows: trainSet.count,
    }));
    if (state.seed !== opts.seed)
      log(`groovebox:train resuming with the checkpoint's seed ${state.seed} (ignoring --seed ${opts.seed})`);
    log(
      `groovebox:train resumed ${config.name} at epoch ${state.epoch + 1}, batch ${state.batchInEpoch}, step ${state.globalStep} (${(state.seconds / 60).toFixed(1)} min so far)`,
    );
    const dropped = dropLogRowsAfter(path.join(outDir, 'train-log.csv'), state.epoch);
    if (dropped > 0)
      log(
        `groovebox:train dropped ${dropped} row(s) of train-log.csv written after the checkpoint (that epoch runs again)`,
      );
  } else {
    params = initParams(config, opts.seed);
    adam = new Adam(params);
    state = {
      epoch: 0,
      batchInEpoch: 0,
      globalStep: 0,
      seconds: 0,
      bestValidation: Infinity,
      bestEpoch: -1,
      seed: opts.seed,
      trainWindows: trainSet.count,
      cacheHash: cache.windowsHash,
      lastTrain: null,
      lastValidation: null,
    };
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(
      path.join(outDir, 'train-log.csv'),
      `epoch,step,minutes,learning_rate,${PART_NAMES.map((p) => `train_${p}`).join(',')},${PART_NAMES.map((p) => `val_${p}`).join(',')}\n`,
    );
    log(
      `groovebox:train ${config.name}: ${paramCount(params)} weights, ${trainSet.count} training windows, ${validationSet.count} validation windows, backend ${opts.backend}`,
    );
  }

  let lastCheckpoint = performance.now();
  let sessionStart = performance.now();
  const secondsSoFar = () => state.seconds + (performance.now() - sessionStart) / 1000;
  const progress = new Progress(log);

  const saveCheckpoint = () => {
    state.seconds = secondsSoFar();
    sessionStart = performance.now();
    writeCheckpoint(checkpointDir, config, params, adam, state);
    lastCheckpoint = performance.now();
  };

  const helper = (opts.threads ?? 1) > 1 ? await GradientHelper.start(config, opts.backend, trainSet) : null;
  if (helper) log(`groovebox:train ${config.name}: two threads, each computing half of every batch`);
  try {
    while (state.epoch < opts.epochs) {
      const order = shuffled(trainSet.count, state.seed * 7919 + state.epoch);
      const sums: Record<string, number> = Object.fromEntries(PART_NAMES.map((p) => [p, 0]));
      let seen = 0;
      for (let b = state.batchInEpoch; b < batchesPerEpoch; b++) {
        const indices = order.subarray(b * batchSize, (b + 1) * batchSize);
        const lr = Math.max(
          config.train.minLearningRate,
          config.train.learningRate * config.train.decayRate ** state.globalStep,
        );
        const seed = state.seed * 1_000_003 + state.globalStep;
        const parts = helper
          ? await trainStepOnTwoThreads(params, adam, config, trainSet, indices, seed, lr, helper)
          : trainStep(params, adam, config, trainSet, indices, seed, lr);
        for (const p of PART_NAMES) sums[p] += parts[p];
        seen++;
        state.globalStep++;
        state.batchInEpoch = b + 1;
        progress.update(
          `${config.name} epoch ${state.epoch + 1}/${opts.epochs}`,
          b + 1,
          batchesPerEpoch,
          `loss ${(sums.loss / seen).toFixed(2)} kl ${(sums.klBits / seen).toFixed(0)}b`,
        );
        if ((performance.now() - lastCheckpoint) / 1000 > opts.checkpointSeconds) saveCheckpoint();
        if (secondsSoFar() > opts.maxMinutes * 60) {
          saveCheckpoint();
          progress.done();
          log(
            `groovebox:train ${config.name}: time budget of ${opts.maxMinutes} min reached at epoch ${state.epoch + 1}, batch ${b + 1}; checkpoint saved (continue with --resume)`,
          );
          return state;
        }
      }
      progress.done();
      const validation = evaluateLoss(params, config, validationSet, 12345);
      const trainMeans =
        seen > 0 ? Object.fromEntries(PART_NAMES.map((p) => [p, sums[p] / seen])) : (state.lastTrain ?? {});
      state.lastTrain = trainMeans;
      state.lastValidation = validation;
      const lrNow = Math.max(
        config.train.minLearningRate,
        config.train.learningRate * config.train.decayRate ** state.globalStep,
      );
      fs.appendFileSync(
        path.join(outDir, 'train-log.csv'),
        `${state.epoch + 1},${state.globalStep},${(secondsSoFar() / 60).toFixed(2)},${lrNow.toExponential(3)},${PART_NAMES.map((p) => (trainMeans[p] ?? NaN).toFixed(4)).join(',')},${PART_NAMES.map((p) => validation[p].toFixed(4)).join(',')}\n`,
      );
      log(
        `groovebox:train ${config.name} epoch ${state.epoch + 1}: train ${fmt(trainMeans)} | validation ${fmt(validation)}`,
      );
      state.epoch++;
      state.batchInEpoch = 0;
      if (validation.loss < state.bestValidation) {
        state.bestValidation = validation.loss;
        state.bestEpoch = state.epoch;
        state.seconds = secondsSoFar();
        sessionStart = performance.now();
        writeModelFiles(
          outDir,
          config,
          params,
          {
            model: config.name,
            datasetCacheHash: state.cacheHash,
            epochs: state.epoch,
            steps: state.globalStep,
            trainWindows: trainSet.count,
            trainLoss: round(trainMeans),
            validationLoss: round(validation),
            trainingMinutes: Number((state.seconds / 60).toFixed(1)),
            backend: opts.backend,
            seed: state.seed,
            date: new Date().toISOString(),
            weightCount: paramCount(params),
          },
          usesLatentBank(config) ? fitLatentBank(config, params, trainSet.patterns, trainSet.count) : {},
        );
        log(`groovebox:train ${config.name}: best validation loss so far, saved to ${outDir}`);
      }
      saveCheckpoint();
    }
  } finally {
    await helper?.stop();
  }
  return state;
}

/**
 * A kill between an epoch's log row and its checkpoint leaves a row the
 * resumed run writes again: rows past the checkpoint's epoch go, so the log
 * (and the loss plot drawn from it) has each epoch once. Returns how many went.
 */
export function dropLogRowsAfter(file: string, epochsDone: number): number {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return 0;
  }
  const [header, ...rows] = text.split('\n').filter((line) => line !== '');
  const kept = rows.filter((row) => Number(row.split(',')[0]) <= epochsDone);
  if (kept.length === rows.length) return 0;
  writeFileAtomicSync(file, Buffer.from([header, ...kept].map((line) => `${line}\n`).join('')));
  return rows.length - kept.length;
}

function fmt(parts: Record<string, number>): string {
  return PART_NAMES.map((p) => `${p} ${(parts[p] ?? NaN).toFixed(3)}`).join(' ');
}

function round(parts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, Number(v.toFixed(4))]));
}

/** A seeded Fisher-Yates permutation: the same data order after a resume. */
export function shuffled(n: number, seed: number): Uint32Array {
  const rand = mulberry32(seed);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

interface BatchTensors {
  target: tf.Tensor3D;
  gestures: { score: tf.Tensor3D; groove: tf.Tensor3D; accent: tf.Tensor2D };
  noise: tf.Tensor2D[];
  priorNoise: tf.Tensor2D[];
  keep: tf.Tensor2D | null;
  /** The step decoder's masked step-by-step input (null for the LSTM decoder). */
  stepInput: tf.Tensor3D | null;
}

/**
 * Which inputs one training example hides from the step decoder. The drums are
 * hidden all together, shown all together, or each on its own, because a
 * performer gives a whole score (humanize), none (drumify) or a few rows.
 */
export function hiddenFactors(config: ModelConfig, rand: () => number): boolean[] {
  const r = rand();
  const drumsTogether = r < 0.2 ? false : r < 0.4 ? true : null;
  return config.factors.map((f) =>
    f.input.startsWith('drum') && drumsTogether !== null ? drumsTogether : rand() < f.dropProbability,
  );
}

function stepInputOf(config: ModelConfig, set: Split, indices: ArrayLike<number>, rand: () => number): Float32Array {
  const n = indices.length;
  const out = new Float32Array(n * STEPS * STEP_INPUT_WIDTH);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    const hidden = hiddenFactors(config, rand);
    const given: StepGiven = { drums: new Array(DRUM_COUNT).fill(null), groove: null, accent: null };
    config.factors.forEach((f, fi) => {
      if (hidden[fi]) return;
      if (f.input === 'groove') {
        given.groove = unpackGroove(set.gestures.groove, i * GROOVE_SIZE);
      } else if (f.input === 'accent') {
        given.accent = set.gestures.accent.subarray(i * STEPS, (i + 1) * STEPS);
      } else if (f.input.startsWith('drum')) {
        const d = Number(f.input.slice(4));
        given.drums[d] = drumRow(set.gestures.score.subarray(i * SCORE_SIZE, (i + 1) * SCORE_SIZE), d);
      }
    });
    writeStepInput(given, out, k * STEPS * STEP_INPUT_WIDTH);
  }
  return out;
}

function makeBatch(
  config: ModelConfig,
  set: Split,
  indices: ArrayLike<number>,
  seed: number,
  training: boolean,
): BatchTensors {
  const n = indices.length;
  const target = new Float32Array(n * PATTERN_TENSOR_SIZE);
  const score = new Float32Array(n * SCORE_SIZE);
  const groove = new Float32Array(n * GROOVE_SIZE);
  const accent = new Float32Array(n * STEPS);
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    target.set(set.patterns.subarray(i * PATTERN_TENSOR_SIZE, (i + 1) * PATTERN_TENSOR_SIZE), k * PATTERN_TENSOR_SIZE);
    score.set(set.gestures.score.subarray(i * SCORE_SIZE, (i + 1) * SCORE_SIZE), k * SCORE_SIZE);
    groove.set(set.gestures.groove.subarray(i * GROOVE_SIZE, (i + 1) * GROOVE_SIZE), k * GROOVE_SIZE);
    accent.set(set.gestures.accent.subarray(i * STEPS, (i + 1) * STEPS), k * STEPS);
  }
  const rand = mulberry32(seed);
  const noise = config.factors.map((f) => tf.tensor2d(gaussian(n * f.latent, rand), [n, f.latent]));
  const priorNoise = config.factors.map((f) => tf.tensor2d(gaussian(n * f.latent, rand), [n, f.latent]));
  let keep: tf.Tensor2D | null = null;
  // Validation hides inputs too (the same ones every time: the seed is fixed), so its loss covers every way the box is played.
  const stepInput =
    config.decoder.kind === 'steps'
      ? tf.tensor3d(stepInputOf(config, set, indices, rand), [n, STEPS, STEP_INPUT_WIDTH])
      : null;
  if (training && config.decoder.kind !== 'steps' && config.factors.some((f) => f.dropProbability > 0)) {
    const mask = new Float32Array(n * config.factors.length);
    for (let k = 0; k < n; k++)
      config.factors.forEach((f, i) => {
        mask[k * config.factors.length + i] = rand() < f.dropProbability ? 0 : 1;
      });
    keep = tf.tensor2d(mask, [n, config.factors.length]);
  }
  return {
    target: tf.tensor3d(target, [n, STEPS, FEATURES]),
    gestures: {
      score: tf.tensor3d(score, [n, STEPS, 9]),
      groove: tf.tensor3d(groove, [n, STEPS, 3]),
      accent: tf.tensor2d(accent, [n, STEPS]),
    },
    noise,
    priorNoise,
    keep,
    stepInput,
  };
}

function disposeBatch(b: BatchTensors): void {
  tf.dispose([b.target, b.gestures.score, b.gestures.groove, b.gestures.accent, ...b.noise, ...b.priorNoise]);
  if (b.keep) b.keep.dispose();
  if (b.stepInput) b.stepInput.dispose();
}

function readParts(parts: LossParts): Record<(typeof PART_NAMES)[number], number> {
  return Object.fromEntries(PART_NAMES.map((p) => [p, parts[p].dataSync()[0]])) as Record<
    (typeof PART_NAMES)[number],
    number
  >;
}

/** The gradients of the mean loss over `indices` (keyed like `params`) and the batch's loss parts. */
export function batchGradients(
  params: Params,
  config: ModelConfig,
  set: Split,
  indices: ArrayLike<number>,
  seed: number,
): { grads: Record<string, tf.Tensor>; parts: Record<string, number> } {
  const batch = makeBatch(config, set, indices, seed, true);
  let parts: LossParts | null = null;
  const { grads } = tf.variableGrads(() => {
    parts = computeLoss(
      params,
      config,
      batch.target,
      batch.gestures,
      batch.noise,
      batch.priorNoise,
      batch.keep,
      batch.stepInput,
    );
    tf.keep(parts.hits);
    tf.keep(parts.velocities);
    tf.keep(parts.offsets);
    tf.keep(parts.klBits);
    tf.keep(parts.aux);
    return parts.loss;
  }, [...params.values()]);
  const named: Record<string, tf.Tensor> = {};
  for (const [name, v] of params) named[name] = grads[v.name];
  const values = readParts(parts!);
  tf.dispose(Object.values(parts!));
  disposeBatch(batch);
  return { grads: named, parts: values };
}

/** One optimisation step; returns the batch's loss parts. */
export function trainStep(
  params: Params,
  adam: Adam,
  config: ModelConfig,
  set: Split,
  indices: ArrayLike<number>,
  seed: number,
  learningRate: number,
): Record<string, number> {
  const { grads, parts } = batchGradients(params, config, set, indices, seed);
  adam.apply(params, grads, learningRate, config.train.clipNorm);
  tf.dispose(Object.values(grads));
  return parts;
}

/**
 * One optimisation step on two threads: the helper computes the second half of
 * the batch's gradients on the other core while this thread computes the first.
 */
export async function trainStepOnTwoThreads(
  params: Params,
  adam: Adam,
  config: ModelConfig,
  set: Split,
  indices: Uint32Array,
  seed: number,
  learningRate: number,
  helper: GradientHelper,
): Promise<Record<string, number>> {
  const half = Math.ceil(indices.length / 2);
  const theirs = helper.gradients(params, indices.slice(half), seed + 1);
  const mine = batchGradients(params, config, set, indices.subarray(0, half), seed);
  const other = await theirs;
  // The loss is a mean over examples: the halves are weighted by their sizes.
  const wMine = half / indices.length;
  const wOther = 1 - wMine;
  const combined: Record<string, tf.Tensor> = {};
  let at = 0;
  for (const [name, p] of params) {
    combined[name] = tf.tidy(() =>
      tf.add(
        tf.mul(mine.grads[name], wMine),
        tf.mul(tf.tensor(other.gradients.subarray(at, at + p.size), p.shape), wOther),
      ),
    );
    at += p.size;
  }
  tf.dispose(Object.values(mine.grads));
  adam.apply(params, combined, learningRate, config.train.clipNorm);
  tf.dispose(Object.values(combined));
  return Object.fromEntries(Object.keys(mine.parts).map((k) => [k, mine.parts[k] * wMine + other.parts[k] * wOther]));
}

/** The worker thread that computes half of each batch's gradients (gradient-worker.ts). */
export class GradientHelper {
  readonly #worker: Worker;
  /** The worker's live tensors after its last step. */
  workerTensors = 0;
  #pending: { resolve: (r: GradientReply) => void; reject: (e: Error) => void } | null = null;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (msg: GradientReply) => {
      this.workerTensors = msg.tensors;
      const p = this.#pending;
      this.#pending = null;
      p?.resolve(msg);
    });
    worker.on('error', (err) => {
      const p = this.#pending;
      this.#pending = null;
      p?.reject(err);
    });
  }

  static start(config: ModelConfig, backend: string, set: Split): Promise<GradientHelper> {
    const data: GradientWorkerData = { config, backend, set };
    const worker = new Worker(GRADIENT_WORKER_FILE, { workerData: data });
    return new Promise((resolve, reject) => {
      worker.once('message', () => resolve(new GradientHelper(worker)));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the gradient worker exited (code ${code}) before it was ready`)));
    });
  }

  gradients(params: Params, indices: Uint32Array, seed: number): Promise<GradientReply> {
    if (this.#pending) throw new Error('GradientHelper: one request at a time');
    let size = 0;
    for (const p of params.values()) size += p.size;
    const weights = new Float32Array(size);
    let at = 0;
    for (const p of params.values()) {
      weights.set(p.dataSync(), at);
      at += p.size;
    }
    const request: GradientRequest = { weights, indices: Uint32Array.from(indices), seed };
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#worker.postMessage(request, [weights.buffer]);
    });
  }

  async stop(): Promise<void> {
    this.#worker.postMessage('stop');
    await new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
  }
}

const GRADIENT_WORKER_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'gradient-worker.js');

/** Mean loss parts over a whole split (no input dropped; fixed noise). */
export function evaluateLoss(params: Params, config: ModelConfig, set: Split, seed: number): Record<string, number> {
  const sums: Record<string, number> = Object.fromEntries(PART_NAMES.map((p) => [p, 0]));
  const size = 256;
  let total = 0;
  for (let start = 0; start < set.count; start += size) {
    const indices = Array.from({ length: Math.min(size, set.count - start) }, (_, k) => start + k);
    const batch = makeBatch(config, set, indices, seed + start, false);
    const values = tf.tidy(() =>
      readParts(
        computeLoss(params, config, batch.target, batch.gestures, batch.noise, batch.priorNoise, null, batch.stepInput),
      ),
    );
    disposeBatch(batch);
    for (const p of PART_NAMES) sums[p] += values[p] * indices.length;
    total += indices.length;
  }
  return Object.fromEntries(PART_NAMES.map((p) => [p, sums[p] / total]));
}
