// The training loop: data order, epochs, the learning-rate schedule, checkpoints and resume, the train log,
// and shipping the best weights. A batch's tensors and loss are batch.ts's; the second core's half is two-threads.ts's.

import fs from 'node:fs';
import path from 'node:path';
import { loadCache } from '../dataset/cache.js';
import { writeModelFiles } from '../ml/model-io.js';
import type { BackendName } from '../ml/runtime.js';
import type { ModelConfig } from '../model/config.js';
import { initParams, paramCount, type Params } from '../model/params.js';
import { mulberry32 } from '../model/random.js';
import { gestureArrays } from '../pattern/gesture-layout.js';
import { PATTERN_TENSOR_SIZE } from '../pattern/tensor-layout.js';
import { writeFileAtomicSync } from '../storage/atomic-file.js';
import { Adam } from './adam.js';
import { fitGenerationFiles } from './generation-files.js';
import { evaluateLoss, PART_NAMES, trainStep, type Split } from './batch.js';
import { checkpointStateFile, loadCheckpoint, writeCheckpoint, type RunState } from './checkpoint.js';
import { Progress } from './progress.js';
import { GradientHelper, trainStepOnTwoThreads } from './two-threads.js';

// What the trainer's users import, from where each now lives.
export { batchGradients, evaluateLoss, hiddenFactors, trainStep, type Split } from './batch.js';
export { GradientHelper, trainStepOnTwoThreads } from './two-threads.js';

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
  /** Asked after every step (the CLI: SIGINT or SIGTERM arrived); true saves a checkpoint and stops the run. */
  stopRequested?: () => boolean;
}

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
      // A resumed epoch goes on with the sums of the batches it trained before the checkpoint.
      const carried = state.batchInEpoch > 0 ? state.epochSums : undefined;
      const epochSums = {
        sums: Object.fromEntries(PART_NAMES.map((p) => [p, carried?.sums[p] ?? 0])),
        batches: carried?.batches ?? 0,
      };
      state.epochSums = epochSums;
      const { sums } = epochSums;
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
        const seen = ++epochSums.batches;
        state.globalStep++;
        state.batchInEpoch = b + 1;
        progress.update(
          `${config.name} epoch ${state.epoch + 1}/${opts.epochs}`,
          b + 1,
          batchesPerEpoch,
          `loss ${(sums.loss / seen).toFixed(2)} kl ${(sums.klBits / seen).toFixed(0)}b`,
        );
        if ((performance.now() - lastCheckpoint) / 1000 > opts.checkpointSeconds) saveCheckpoint();
        // A turn of the event loop lets a signal handler run between steps (a step on one thread never awaits).
        await new Promise((resolve) => setImmediate(resolve));
        const stoppedBy = opts.stopRequested?.()
          ? 'stopped'
          : secondsSoFar() > opts.maxMinutes * 60
            ? `time budget of ${opts.maxMinutes} min reached`
            : null;
        if (stoppedBy) {
          saveCheckpoint();
          progress.done();
          log(
            `groovebox:train ${config.name}: ${stoppedBy} at epoch ${state.epoch + 1}, batch ${b + 1}; checkpoint saved (continue with --resume)`,
          );
          return state;
        }
      }
      progress.done();
      const validation = evaluateLoss(params, config, validationSet, 12345);
      const seen = epochSums.batches;
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
      state.epochSums = undefined;
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
          fitGenerationFiles(config, params, trainSet.patterns, trainSet.count),
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
