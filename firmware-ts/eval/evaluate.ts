import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { tf } from '../ml/runtime.js';
import type { ModelWorkerData, ModelWorkerMessage } from './model-worker.js';
import {
  cpuSecondsSince,
  evaluatePlayer,
  evaluationContext,
  type EvaluatedPlayer,
  type PlayerResults,
} from './player-measures.js';
import { makeReference, type Reference } from './reference.js';
import { loadCache, type DatasetCache } from '../dataset/cache.js';
import { DatasetError } from '../dataset/info.js';

import type { GenerateOptions } from '../model/generator.js';

import { PATTERN_TENSOR_SIZE } from '../pattern/tensor-layout.js';

import { windowsBetter } from './measures.js';
import { nearestPlayer } from './nearest.js';
import { fitTrain, jitterPlayer, quantizedPlayer, templatePlayer, type SplitData } from './non-neural.js';
import { loadModelPlayer, type Player } from './player.js';
import { evalWindows } from './windows.js';

export type { PlayerResults } from './player-measures.js';

/** The non-neural players, in the order the report lists them. */
export const NON_NEURAL = ['quantized', 'jitter', 'template', 'nearest'] as const;
export type NonNeuralName = (typeof NON_NEURAL)[number];

export interface EvaluateOptions {
  /** Model folder names under `modelsDir`, in report order; missing ones are skipped with a note. */
  models: readonly string[];
  /** Folder holding <name>/config.json + weights.bin + manifest.json per model. */
  modelsDir: string;
  /** Non-neural players to add (default: all four). */
  nonNeural?: readonly NonNeuralName[];
  dataDir: string;
  /** Test (and validation) windows to use; all when omitted. */
  limit?: number;
  seed: number;
  batchSize: number;
  log: (msg: string) => void;
  /** Fit the non-neural players on this many train windows (spread evenly) instead of all: for quick tests. */
  trainLimit?: number;
  /** Generation options every model gets on top of each experiment's own (ablations). */
  generateOptions?: Partial<GenerateOptions>;
  /** Models evaluated at once, each in a worker thread (default: up to two cores); 1 = all on this thread. */
  threads?: number;
}

export interface EvaluationResults {
  meta: {
    seed: number;
    limit: number | null;
    testWindows: number;
    validationWindows: number;
    trainWindows: number;
    datasetHash: string;
    modelsDir: string;
    batchSize: number;
    /** Wall time of the run, and the process's CPU time (user + system): the second does not grow when other work shares the cores. */
    seconds: number;
    cpuSeconds: number;
    skipped: Record<string, string>;
    choices: string[];
    /** Generation options given to every model on the command line (ablations), if any. */
    generateOptions?: Partial<GenerateOptions>;
    /** The command line that produced these results (set when the report is written). */
    command?: string;
  };
  reference: Reference;
  /** Every player evaluated, models first, then the non-neural ones; the key is the player's name. */
  players: Record<string, PlayerResults>;
}

/** The validation choices, stated once so results.json and results.md say the same. */
const CHOICES = [
  'Auxiliary decoders: the hit-probability threshold (0.2..0.8) that gives the best F1 on the validation windows.',
  "Free sampling: thresholded vs sampled hits, whichever gives the validation windows' real hits per window more closely.",
  'Swing Grooves: velocity = mean tapped (Groove) velocity of the validation windows.',
  "Everything else uses the generator's defaults, fixed before looking at any split: prior temperature 1, given factors at their posterior mean (the baseline samples its posterior, as Table 1 prescribes); the paper's LSTM models threshold hits at 0.5; the step decoder samples the drums left to it, follows a given groove and accent, draws hidden latents from its bank of training windows, maps velocities through its calibration where no groove is given, and places the notes under each tap with its under-tap network where one is given (docs/models.md).",
  'Non-neural players: fitted on the train split only (docs/evaluation.md says how each works).',
];

export async function runEvaluation(opts: EvaluateOptions): Promise<EvaluationResults> {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  // loadCache hashes info.csv first and would fail with a bare ENOENT.
  if (!fs.existsSync(path.join(opts.dataDir, 'info.csv'))) {
    throw new DatasetError(
      `${path.join(opts.dataDir, 'info.csv')}: no Groove MIDI Dataset there (set --data DIR or GROOVEBOX_DATA)`,
    );
  }
  const cache = loadCache(opts.dataDir, opts.log);
  const { ctx, realTest } = evaluationContext(cache, opts);
  opts.log(
    `groovebox:eval ${ctx.test.length} test windows, ${ctx.validation.length} validation windows for choices, seed ${opts.seed}`,
  );
  const train = trainWindows(cache, opts.trainLimit);
  const fit = fitTrain(train);
  const reference = makeReference(cache, ctx, realTest, fit, opts.limit);
  const results: EvaluationResults = {
    meta: {
      seed: opts.seed,
      limit: opts.limit ?? null,
      testWindows: ctx.test.length,
      validationWindows: ctx.validation.length,
      trainWindows: train.count,
      datasetHash: cache.hash,
      modelsDir: opts.modelsDir,
      batchSize: opts.batchSize,
      seconds: 0,
      cpuSeconds: 0,
      skipped: {},
      choices: CHOICES,
      ...(opts.generateOptions && Object.keys(opts.generateOptions).length
        ? { generateOptions: opts.generateOptions }
        : {}),
    },
    reference,
    players: {},
  };
  const perWindow = new Map<string, number[]>();
  const record = (name: string, evaluated: EvaluatedPlayer) => {
    results.players[name] = evaluated.results;
    if (evaluated.ownOffsetErrors) perWindow.set(name, evaluated.ownOffsetErrors);
  };
  const evaluateHere = (player: Player) => {
    try {
      record(player.name, evaluatePlayer(player, ctx, cache, realTest, reference, opts));
    } finally {
      player.dispose();
    }
  };
  const models = opts.models.filter((name) => {
    const dir = path.join(opts.modelsDir, name);
    if (fs.existsSync(path.join(dir, 'manifest.json'))) return true;
    results.meta.skipped[name] = `no trained model in ${dir} (manifest.json missing)`;
    opts.log(`groovebox:eval ${name}: skipped, ${results.meta.skipped[name]}`);
    return false;
  });
  const threads = Math.min(opts.threads ?? Math.min(2, os.availableParallelism()), models.length);
  // Models in worker threads, one per core, while the cheap non-neural players run here.
  const pool = threads > 1 ? ModelWorkerPool.start(threads, opts, reference) : null;
  const t0 = performance.now();
  const makers: Record<NonNeuralName, () => Player> = {
    quantized: () => quantizedPlayer(fit),
    jitter: () => jitterPlayer(fit),
    template: () => templatePlayer(fit),
    nearest: () => nearestPlayer(train),
  };
  const nonNeural = (opts.nonNeural ?? NON_NEURAL).map((name) => makers[name]);
  if (pool) {
    for (const make of nonNeural) evaluateHere(make());
    opts.log(`groovebox:eval non-neural players (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    const evaluated = await pool.evaluateAll(models);
    // Models first, in the order asked for, whichever worker finished first.
    const nonNeuralResults = results.players;
    results.players = {};
    for (const name of models) record(name, evaluated.get(name)!);
    Object.assign(results.players, nonNeuralResults);
  } else {
    for (const name of models) evaluateHere(loadModelPlayer(path.join(opts.modelsDir, name), opts.generateOptions));
    for (const make of nonNeural) evaluateHere(make());
    opts.log(`groovebox:eval non-neural players (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const template = perWindow.get('template');
  if (template) {
    for (const [name, errors] of perWindow) {
      const own = results.players[name].measures.ownScoreAndGroove;
      if (own && name !== 'template') own.windowsBetterThanTemplate = windowsBetter(errors, template);
    }
  }
  results.meta.seconds = Number(((performance.now() - started) / 1000).toFixed(1));
  results.meta.cpuSeconds = cpuSecondsSince(cpuStart);
  return results;
}

function trainWindows(cache: DatasetCache, limit: number | undefined): SplitData {
  const all = cache.splits.train;
  if (limit === undefined || limit >= all.count) return all;
  const windows = evalWindows(cache, 'train', limit);
  const data = new Float32Array(windows.length * PATTERN_TENSOR_SIZE);
  windows.forEach((w, k) =>
    data.set(
      all.data.subarray(w.index * PATTERN_TENSOR_SIZE, (w.index + 1) * PATTERN_TENSOR_SIZE),
      k * PATTERN_TENSOR_SIZE,
    ),
  );
  return { count: windows.length, data };
}

/** Model workers (model-worker.ts), each handed the next model name when it is free. */
class ModelWorkerPool {
  private constructor(
    readonly workers: Promise<Worker>[],
    readonly log: (msg: string) => void,
  ) {}

  static start(count: number, opts: EvaluateOptions, reference: Reference): ModelWorkerPool {
    const data: ModelWorkerData = {
      backend: tf.getBackend(),
      dataDir: opts.dataDir,
      modelsDir: opts.modelsDir,
      limit: opts.limit,
      seed: opts.seed,
      batchSize: opts.batchSize,
      reference,
      generateOptions: opts.generateOptions,
    };
    const workers = Array.from({ length: count }, () => {
      const worker = new Worker(MODEL_WORKER_FILE, { workerData: data });
      return new Promise<Worker>((resolve, reject) => {
        const onMessage = (m: ModelWorkerMessage) => {
          if (m.kind === 'log') opts.log(m.text);
          if (m.kind !== 'ready') return;
          worker.off('error', reject);
          resolve(worker);
        };
        worker.on('message', onMessage);
        worker.once('error', reject);
      });
    });
    return new ModelWorkerPool(workers, opts.log);
  }

  /** Evaluates every model; the first failure stops the run with that model's error. */
  async evaluateAll(names: readonly string[]): Promise<Map<string, EvaluatedPlayer>> {
    const queue = [...names];
    const done = new Map<string, EvaluatedPlayer>();
    const drain = async (ready: Promise<Worker>) => {
      const worker = await ready;
      try {
        for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
          done.set(name, await evaluateOn(worker, name));
        }
      } finally {
        worker.postMessage(null);
        await worker.terminate();
      }
    };
    await Promise.all(this.workers.map(drain));
    return done;
  }
}

function evaluateOn(worker: Worker, name: string): Promise<EvaluatedPlayer> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: ModelWorkerMessage) => {
      if ((m.kind !== 'done' && m.kind !== 'failed') || m.name !== name) return;
      worker.off('message', onMessage);
      worker.off('error', reject);
      if (m.kind === 'done') resolve(m.evaluated);
      else reject(new Error(`evaluate ${name}: ${m.error}`));
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.postMessage(name);
  });
}

const MODEL_WORKER_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'model-worker.js');
