import fs from 'node:fs';
import path from 'node:path';
import {
  currentSetFile,
  firstWeightMismatch,
  ModelFileError,
  readModelFileSet,
  weightTensors,
  writeModelFiles,
} from '../ml/model-io.js';
import { tf } from '../ml/runtime.js';
import type { ModelConfig } from '../model/config.js';
import { paramSpecs, type Params } from '../model/params.js';
import { jsonErrorText } from '../storage/json-error.js';
import { Adam } from './adam.js';

/**
 * A training run's checkpoint: the weights and Adam's moments as a model folder
 * (`param/…`, `adam.m/…`, `adam.v/…`) plus state.json, written as one set, so a
 * kill never pairs new weights with an old state.
 */
export interface RunState {
  epoch: number;
  batchInEpoch: number;
  globalStep: number;
  seconds: number;
  bestValidation: number;
  bestEpoch: number;
  seed: number;
  trainWindows: number;
  cacheHash: string;
  lastTrain: Record<string, number> | null;
  lastValidation: Record<string, number> | null;
  /**
   * The epoch in progress: the sums of its batches' loss parts so far, so that a resumed epoch's train-log row is the
   * mean over all its batches, not only those after the resume. Absent in checkpoints written before it existed: the
   * resumed epoch then averages the batches it trains, and one stopped after its last batch logs the previous epoch's
   * means (or NaN in the first epoch).
   */
  epochSums?: { sums: Record<string, number>; batches: number };
}

/** What a checkpoint must have been trained on to be continued by this run. */
export interface RunData {
  cacheHash: string;
  trainWindows: number;
}

/** The checkpoint's state.json (the pending one while a write is being finished); it exists once a checkpoint does. */
export function checkpointStateFile(dir: string): string {
  return currentSetFile(dir, 'state.json');
}

export function writeCheckpoint(dir: string, config: ModelConfig, params: Params, adam: Adam, state: RunState): void {
  const tensors = new Map<string, tf.Tensor>();
  for (const [name, p] of params) tensors.set(`param/${name}`, p);
  for (const [name, m] of adam.m) tensors.set(`adam.m/${name}`, m);
  for (const [name, v] of adam.v) tensors.set(`adam.v/${name}`, v);
  writeModelFiles(
    dir,
    config,
    tensors,
    { kind: 'checkpoint', adamStep: adam.step },
    { 'state.json': JSON.stringify(state, null, 2) },
  );
}

/**
 * Loads a checkpoint to continue `config`'s run on `data`. Everything it holds is
 * compared with the run first: a checkpoint of another config, with missing
 * weights or from other data is refused in one line naming the file.
 */
export function loadCheckpoint(
  dir: string,
  config: ModelConfig,
  data: RunData,
): { params: Params; adam: Adam; state: RunState } {
  const startOver = `or remove ${dir} to start over`;
  const stateFile = checkpointStateFile(dir);
  const state = readState(stateFile);
  const files = readModelFileSet(dir);
  const differs = firstDifference(files.config, JSON.parse(JSON.stringify(config)));
  if (differs) {
    throw new ModelFileError(
      files.paths.config,
      `${differs}: the checkpoint is from another model config (use the --model and the experiment flags it was trained with: --hide-probability, --input-dropout, --kl-beta, --timing-weight, --lstm-dropout, --encoder-units, --decoder-units, --decoder-layers; ${startOver})`,
    );
  }
  const needed = paramSpecs(config).flatMap((s) =>
    ['param', 'adam.m', 'adam.v'].map((kind) => ({ name: `${kind}/${s.name}`, shape: s.shape })),
  );
  const mismatch = firstWeightMismatch(files.manifest.weights, needed, `the ${config.name} config`);
  if (mismatch) throw new ModelFileError(files.paths.manifest, `${mismatch} (${startOver})`);
  if (state.cacheHash !== data.cacheHash) {
    throw new ModelFileError(
      stateFile,
      `cacheHash is ${state.cacheHash}, the dataset's windows now hash to ${data.cacheHash}: the data changed since this checkpoint (use the dataset it was trained on, ${startOver})`,
    );
  }
  if (state.trainWindows !== data.trainWindows) {
    throw new ModelFileError(
      stateFile,
      `trainWindows is ${state.trainWindows}, this run has ${data.trainWindows} (use the checkpoint's --limit, ${startOver})`,
    );
  }

  const tensors = weightTensors(files);
  try {
    // tf.variable and assign take their own reference to the values: the loaded tensors are all disposed below.
    const params: Params = new Map(
      paramSpecs(config).map((s) => [s.name, tf.variable(tensors.get(`param/${s.name}`)!, true)]),
    );
    const adam = new Adam(params);
    for (const [name, m] of adam.m) m.assign(tensors.get(`adam.m/${name}`)!);
    for (const [name, v] of adam.v) v.assign(tensors.get(`adam.v/${name}`)!);
    adam.step = Number(files.manifest.adamStep ?? state.globalStep);
    return { params, adam, state };
  } finally {
    tf.dispose([...tensors.values()]);
  }
}

/** The first key where two JSON values differ, as "key is A, this run has B", or null. */
function firstDifference(saved: unknown, run: unknown, key = '(root)'): string | null {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (isObject(saved) && isObject(run) && Array.isArray(saved) === Array.isArray(run)) {
    for (const k of new Set([...Object.keys(run), ...Object.keys(saved)])) {
      const sub = Array.isArray(run) ? `${key}[${k}]` : key === '(root)' ? k : `${key}.${k}`;
      const found = firstDifference(saved[k], run[k], sub);
      if (found) return found;
    }
    return null;
  }
  const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
  return JSON.stringify(saved) === JSON.stringify(run) ? null : `${key} is ${show(saved)}, this run has ${show(run)}`;
}

const COUNTS = ['epoch', 'batchInEpoch', 'globalStep', 'bestEpoch', 'seed', 'trainWindows'] as const;

function readState(file: string): RunState {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ModelFileError(
      file,
      `unreadable checkpoint state (${jsonErrorText(err)}); remove ${path.dirname(file)} to start over`,
    );
  }
  const state = raw as RunState;
  const fail = (key: string, expected: string, got: unknown): never => {
    throw new ModelFileError(file, `${key} = ${JSON.stringify(got)}: expected ${expected}`);
  };
  if (typeof state !== 'object' || state === null) fail('(root)', 'an object', state);
  for (const k of COUNTS)
    if (!Number.isInteger(state[k]) || (state[k] < 0 && k !== 'bestEpoch')) fail(k, 'a whole number', state[k]);
  if (typeof state.seconds !== 'number' || state.seconds < 0) fail('seconds', 'a number >= 0', state.seconds);
  if (typeof state.cacheHash !== 'string') fail('cacheHash', 'a string', state.cacheHash);
  // JSON has no Infinity: before the first validation "no best yet" is saved as null,
  // and a null here would never be beaten (loss < null is false), so no model would ship.
  if (state.bestValidation === null) state.bestValidation = Infinity;
  if (typeof state.bestValidation !== 'number') fail('bestValidation', 'a number or null', state.bestValidation);
  if (state.epochSums !== undefined) {
    const e = state.epochSums;
    if (typeof e !== 'object' || e === null) fail('epochSums', 'an object', e);
    if (!Number.isInteger(e.batches) || e.batches < 0) fail('epochSums.batches', 'a whole number', e.batches);
    if (typeof e.sums !== 'object' || e.sums === null) fail('epochSums.sums', 'an object of numbers', e.sums);
    // JSON writes a sum that went NaN or infinite as null: it reads back as NaN, as the run had it.
    for (const [part, v] of Object.entries(e.sums)) {
      if (v === null) e.sums[part] = NaN;
      else if (typeof v !== 'number') fail(`epochSums.sums.${part}`, 'a number', v);
    }
  }
  return state;
}
