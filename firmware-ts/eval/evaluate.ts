import fs from 'node:fs';
import path from 'node:path';
import { loadCache, type DatasetCache } from '../dataset/cache.js';
import { DatasetError } from '../dataset/info.js';
import type { ModelName } from '../model/config.js';
import { gestureArrays } from '../pattern/gesture-layout.js';
import { GrooveModel } from '../model/generator.js';
import type { Params } from '../model/params.js';
import { groove } from '../pattern/gestures.js';
import { STEPS } from '../pattern/pattern.js';
import { PATTERN_TENSOR_SIZE } from '../pattern/tensor-layout.js';
import { evaluateLoss } from '../train/trainer.js';
import * as ex from './experiments.js';
import { meanStd, wasserstein1, type MeanStd, type PRF } from './metrics.js';
import { evalWindows, hitValues, type EvalWindow, type HitValues } from './windows.js';

export interface EvaluateOptions {
  models: readonly ModelName[];
  /** Folder holding <name>/config.json + weights.bin + manifest.json per model. */
  modelsDir: string;
  dataDir: string;
  /** Test (and validation) windows to use; all when omitted. */
  limit?: number;
  seed: number;
  batchSize: number;
  log: (msg: string) => void;
}

export interface ModelResults {
  checkpoint: { dir: string; epochs: unknown; trainingMinutes: unknown; date: unknown };
  diversity: ex.DiversityResult;
  scoreFidelity: PRF;
  scoreF1: number;
  realism: { humanize: ex.Realism; free: ex.Realism & { hits: 'threshold' | 'sample'; validationHitsPerWindow: Record<string, number> } };
  losses: { validation: Record<string, number>; test: Record<string, number> };
  swing?: Record<string, ex.SwingResult>;
  grooveControl?: ex.GrooveControl;
  accentControl?: ex.AccentControl;
  drumControl?: ex.DrumControl;
  auxiliary?: Record<string, ex.AuxResult>;
  seconds: number;
}

export interface Reference {
  testHitsPerWindow: number;
  validationHitsPerWindow: number;
  /** Spread of the real test data, per drum and over all hits. */
  offsetStd: number;
  offsetStdPerDrum: number[];
  velocityStdPerDrum: number[];
  /** W1 between the real validation and test hits: the distance two real samples are apart. */
  floor: { offsetsW1Mean: number; velocitiesW1Mean: number };
  /** W1 of a quantized output (every offset 0) to the real test offsets. */
  quantizedOffsetsW1Mean: number;
  /** Offsets of real off-beat hits (where the swing outputs would regress to) and of on-beat hits. */
  realOffBeat: MeanStd;
  realOnBeat: MeanStd;
  /** Velocity of the fixed swing Grooves: the mean tapped velocity of the validation windows. */
  swingVelocity: number;
}

export interface EvaluationResults {
  meta: {
    seed: number;
    limit: number | null;
    testWindows: number;
    validationWindows: number;
    datasetHash: string;
    modelsDir: string;
    batchSize: number;
    seconds: number;
    skipped: Record<string, string>;
    choices: string[];
  };
  reference: Reference;
  models: Partial<Record<ModelName, ModelResults>>;
}

/** The validation choices, stated once so results.json and results.md say the same. */
const CHOICES = [
  'Auxiliary decoders: the hit-probability threshold (0.2..0.8) that gives the best F1 on the validation windows.',
  'Free sampling: thresholded vs sampled hits, whichever gives the validation windows\' real hits per window more closely.',
  'Swing Grooves: velocity = mean tapped (Groove) velocity of the validation windows.',
  'Everything else uses the generator\'s defaults, fixed before looking at any split: hits thresholded at 0.5, prior temperature 1, given factors at their posterior mean (the baseline samples its posterior, as Table 1 prescribes).',
];

export async function runEvaluation(opts: EvaluateOptions): Promise<EvaluationResults> {
  const started = performance.now();
  // loadCache hashes info.csv first and would fail with a bare ENOENT.
  if (!fs.existsSync(path.join(opts.dataDir, 'info.csv'))) {
    throw new DatasetError(`${path.join(opts.dataDir, 'info.csv')}: no Groove MIDI Dataset there (set --data DIR or GROOVEBOX_DATA)`);
  }
  const cache = loadCache(opts.dataDir, opts.log);
  const ctx: ex.ExperimentContext = {
    test: evalWindows(cache, 'test', opts.limit),
    // Validation only drives the choices above; a few hundred windows are plenty for them.
    validation: evalWindows(cache, 'validation', Math.min(opts.limit ?? Infinity, 256)),
    seed: opts.seed,
    batchSize: opts.batchSize,
  };
  opts.log(`groovebox:eval ${ctx.test.length} test windows, ${ctx.validation.length} validation windows for choices, seed ${opts.seed}`);
  const realTest = hitValues(ctx.test.map((w) => w.pattern));
  const reference = makeReference(cache, ctx, realTest, opts.limit);
  const results: EvaluationResults = {
    meta: {
      seed: opts.seed, limit: opts.limit ?? null, testWindows: ctx.test.length, validationWindows: ctx.validation.length,
      datasetHash: cache.hash, modelsDir: opts.modelsDir, batchSize: opts.batchSize, seconds: 0, skipped: {}, choices: CHOICES,
    },
    reference,
    models: {},
  };
  for (const name of opts.models) {
    const dir = path.join(opts.modelsDir, name);
    if (!fs.existsSync(path.join(dir, 'manifest.json'))) {
      results.meta.skipped[name] = `no trained model in ${dir} (manifest.json missing)`;
      opts.log(`groovebox:eval ${name}: skipped, ${results.meta.skipped[name]}`);
      continue;
    }
    const model = GrooveModel.load(dir);
    try {
      results.models[name] = evaluateModel(model, ctx, cache, realTest, reference, opts);
    } finally {
      model.dispose();
    }
  }
  results.meta.seconds = Number(((performance.now() - started) / 1000).toFixed(1));
  return results;
}

function evaluateModel(model: GrooveModel, ctx: ex.ExperimentContext, cache: DatasetCache, realTest: HitValues, reference: Reference, opts: EvaluateOptions): ModelResults {
  const t0 = performance.now();
  const step = (what: string) => opts.log(`groovebox:eval ${model.name}: ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const runs = ex.humanize(model, ctx);
  step('humanized (Table 1)');
  const choice = ex.chooseFreeHits(model, ctx);
  const free = ex.freeSample(model, ctx.test.length, ctx.seed, ctx.batchSize, choice.hits);
  step(`free sampling with ${choice.hits} hits`);
  const fidelity = ex.scoreFidelity(ctx, runs);
  const m = model.manifest;
  const out: ModelResults = {
    checkpoint: { dir: model.dir, epochs: m.epochs ?? null, trainingMinutes: m.trainingMinutes ?? null, date: m.date ?? null },
    diversity: ex.diversity(ctx, runs),
    scoreFidelity: fidelity,
    scoreF1: fidelity.f1,
    realism: {
      humanize: ex.realism(realTest, runs.flat(), runs.flat().length),
      free: { ...ex.realism(realTest, free, free.length), hits: choice.hits, validationHitsPerWindow: { ...choice.perWindow, real: choice.real } },
    },
    losses: losses(model, cache, opts.limit, opts.seed),
    seconds: 0,
  };
  step('losses');
  if (ex.takesGroove(model.config.name)) {
    out.swing = ex.swing(model, ctx, reference.swingVelocity);
    step('swing (Table 2)');
    out.grooveControl = ex.grooveControl(model, ctx, runs[0]);
    if (model.name === 'ag11') {
      out.accentControl = ex.accentControl(model, ctx, runs[0]);
      out.drumControl = ex.drumControl(model, ctx, runs);
    }
    step('control');
  }
  const aux = ex.auxiliary(model, ctx);
  if (Object.keys(aux).length > 0) {
    out.auxiliary = aux;
    step('auxiliary reconstructions');
  }
  out.seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
  return out;
}

/** Teacher-forced reconstruction losses (the training objective's parts): the test windows of the rest, the whole validation split (up to `limit`). */
function losses(model: GrooveModel, cache: DatasetCache, limit: number | undefined, seed: number): ModelResults['losses'] {
  const split = (name: 'validation' | 'test') => {
    const windows = evalWindows(cache, name, limit);
    const patterns = new Float32Array(windows.length * PATTERN_TENSOR_SIZE);
    windows.forEach((w, k) => patterns.set(cache.splits[name].data.subarray(w.index * PATTERN_TENSOR_SIZE, (w.index + 1) * PATTERN_TENSOR_SIZE), k * PATTERN_TENSOR_SIZE));
    // evaluateLoss only reads the weights; the cast drops ReadonlyMap's compile-time guard, nothing else.
    const parts = evaluateLoss(model.params as Params, model.config, { patterns, gestures: gestureArrays(patterns), count: windows.length }, seed);
    return Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, Number(v.toFixed(4))]));
  };
  return { validation: split('validation'), test: split('test') };
}

function makeReference(cache: DatasetCache, ctx: ex.ExperimentContext, realTest: HitValues, limit: number | undefined): Reference {
  const realValidation = hitValues(evalWindows(cache, 'validation', limit).map((w) => w.pattern));
  const weightedW1 = (a: number[][], b: number[][]) => {
    let sum = 0, weight = 0;
    b.forEach((real, d) => { if (real.length && a[d].length) { sum += wasserstein1(a[d], real) * real.length; weight += real.length; } });
    return weight ? sum / weight : NaN;
  };
  let grooveVelocity = 0, taps = 0;
  for (const w of ctx.validation) {
    const g = groove(w.pattern);
    for (let s = 0; s < STEPS; s++) if (g.hits[s] > 0.5) { grooveVelocity += g.velocities[s]; taps++; }
  }
  if (taps === 0) throw new Error('evaluate: the validation windows hold no hits, so the swing Grooves have no velocity to use');
  return {
    testHitsPerWindow: realTest.hits / ctx.test.length,
    validationHitsPerWindow: hitValues(ctx.validation.map((w) => w.pattern)).hits / ctx.validation.length,
    offsetStd: meanStd(realTest.offsets.flat()).std,
    offsetStdPerDrum: realTest.offsets.map((o) => meanStd(o).std),
    velocityStdPerDrum: realTest.velocities.map((v) => meanStd(v).std),
    floor: { offsetsW1Mean: weightedW1(realValidation.offsets, realTest.offsets), velocitiesW1Mean: weightedW1(realValidation.velocities, realTest.velocities) },
    quantizedOffsetsW1Mean: weightedW1(realTest.offsets.map((o) => o.map(() => 0)), realTest.offsets),
    realOffBeat: meanStd(ex.offBeatOffsets(ctx.test.map((w: EvalWindow) => w.pattern))),
    realOnBeat: meanStd(ex.offBeatOffsets(ctx.test.map((w: EvalWindow) => w.pattern), 0)),
    swingVelocity: grooveVelocity / taps,
  };
}
