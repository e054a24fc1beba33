import fs from 'node:fs';
import path from 'node:path';
import { loadCache, type DatasetCache } from '../dataset/cache.js';
import { DatasetError } from '../dataset/info.js';
import { gestureArrays } from '../pattern/gesture-layout.js';
import type { GenerateOptions, GrooveModel } from '../model/generator.js';
import type { Params } from '../model/params.js';
import { accent, groove } from '../pattern/gestures.js';
import { STEPS } from '../pattern/pattern.js';
import { PATTERN_TENSOR_SIZE } from '../pattern/tensor-layout.js';
import { evaluateLoss } from '../train/trainer.js';
import * as ex from './experiments.js';
import { meanStd, wasserstein1, type MeanStd, type PRF } from './metrics.js';
import {
  accentFollowing,
  accentOnTheE,
  distribution,
  drumify,
  MIDI,
  performanceError,
  windowsBetter,
  type AccentFollowing,
  type Distribution,
  type Drumify,
  type PerformanceError,
} from './measures.js';
import { nearestPlayer } from './nearest.js';
import {
  fitTrain,
  jitterPlayer,
  quantizedPlayer,
  templatePlayer,
  type SplitData,
  type TrainFit,
} from './non-neural.js';
import { loadModelPlayer, type Player } from './player.js';
import { evalWindows, hitValues, type EvalWindow, type HitValues } from './windows.js';

/** The non-neural players, in the order the report lists them. */
export const NON_NEURAL = ['quantized', 'jitter', 'template', 'nearest'] as const;
export type NonNeuralName = (typeof NON_NEURAL)[number];

/**
 * Models that stand for the paper's Table 1 only: the groove experiments
 * (Table 2, own groove, drumify, accents) are not run for them, as the paper
 * did not, which keeps the whole split inside the time budget.
 */
export const TABLE1_ONLY: readonly string[] = ['baseline', 'fvae2'];

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
}

/** Per-hit error against the real performance (offsets in project units, velocities in MIDI 0..127). */
export interface ErrorSummary {
  offsetMAE: number;
  velocityMAE: number;
  /** Share of the real hits the output plays at the same (step, drum): the hits the errors are taken over. */
  hitRecall: number;
}

/** Issue 20's measures; a key is absent where the player could not be given the gesture (see `notes`). */
export interface Measures {
  /** The window's own Score and own Groove given: unforced, and with the given hits forced (keepGiven). */
  ownScoreAndGroove?: {
    unforced: ErrorSummary;
    forced: ErrorSummary;
    /** Test windows where this player's unforced offset error is below the groove template's. */
    windowsBetterThanTemplate?: { better: number; compared: number };
  };
  /** The Score only: errors (all Table 1 runs, and one forced run) and the distribution of the Table 1 runs. */
  humanize: { unforced: ErrorSummary; forced: ErrorSummary; distribution: Distribution };
  /** Table 2 in brief: per target (ours: positive = late), the off-beat mean and its distance to the target. */
  swing?: Record<string, { target: number; offBeatMean: number; absError: number }>;
  /** Accents given on the "e" of each beat with the window's Score. */
  accent?: AccentFollowing;
  /** Only the window's own Groove given. */
  drumify?: Drumify;
  /** Score F1 of the given drums (all nine given): Table 1 runs unforced, and the forced run. */
  score: { f1Unforced: number; f1Forced: number };
}

export interface PlayerResults {
  kind: Player['kind'];
  checkpoint?: { dir: string; epochs: unknown; trainingMinutes: unknown; date: unknown };
  diversity: ex.DiversityResult;
  scoreFidelity: PRF;
  scoreF1: number;
  realism: {
    humanize: ex.Realism;
    free?: ex.Realism & { hits: 'threshold' | 'sample'; validationHitsPerWindow: Record<string, number> };
  };
  losses?: { validation: Record<string, number>; test: Record<string, number> };
  swing?: Record<string, ex.SwingResult>;
  grooveControl?: ex.GrooveControl;
  accentControl?: ex.AccentControl;
  drumControl?: ex.DrumControl;
  auxiliary?: Record<string, ex.AuxResult>;
  measures: Measures;
  /** Why a measure is missing for this player. */
  notes: Record<string, string>;
  seconds: number;
  cpuSeconds: number;
}

export interface Reference {
  testHitsPerWindow: number;
  validationHitsPerWindow: number;
  /** Spread of the real test data, per drum and over all hits. */
  offsetStd: number;
  offsetStdPerDrum: number[];
  velocityStdPerDrum: number[];
  /** W1 between the real validation and test hits: the distance two real samples are apart (velocities 0..1). */
  floor: { offsetsW1Mean: number; velocitiesW1Mean: number };
  /** The same two real samples in issue 20's units (velocities in MIDI). */
  realVsReal: { offsetsW1: number; velocitiesW1: number };
  /** W1 of a quantized output (every offset 0) to the real test offsets. */
  quantizedOffsetsW1Mean: number;
  /** Offsets of real off-beat hits (where the swing outputs would regress to) and of on-beat hits. */
  realOffBeat: MeanStd;
  realOnBeat: MeanStd;
  /** Velocity of the fixed swing Grooves: the mean tapped velocity of the validation windows. */
  swingVelocity: number;
  /** The real windows with their own accents (the paper's accent rule): the accent contrast drummers play. */
  realAccent: AccentFollowing;
  realHitsPerWindowPerDrum: number[];
  /** The quantized player's constant velocity, MIDI. */
  quantizedVelocity: number;
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
  "Everything else uses the generator's defaults, fixed before looking at any split: hits thresholded at 0.5, prior temperature 1, given factors at their posterior mean (the baseline samples its posterior, as Table 1 prescribes).",
  'Non-neural players: fitted on the train split only (docs/evaluation.md says how each works).',
];

const cpuSecondsSince = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return Number(((used.user + used.system) / 1e6).toFixed(1));
};

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
  const ctx: ex.ExperimentContext = {
    test: evalWindows(cache, 'test', opts.limit),
    // Validation only drives the choices above; a few hundred windows are plenty for them.
    validation: evalWindows(cache, 'validation', Math.min(opts.limit ?? Infinity, 256)),
    seed: opts.seed,
    batchSize: opts.batchSize,
  };
  opts.log(
    `groovebox:eval ${ctx.test.length} test windows, ${ctx.validation.length} validation windows for choices, seed ${opts.seed}`,
  );
  const realTest = hitValues(ctx.test.map((w) => w.pattern));
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
  const evaluate = (player: Player) => {
    try {
      results.players[player.name] = evaluatePlayer(player, ctx, cache, realTest, reference, opts, perWindow);
    } finally {
      player.dispose();
    }
  };
  for (const name of opts.models) {
    const dir = path.join(opts.modelsDir, name);
    if (!fs.existsSync(path.join(dir, 'manifest.json'))) {
      results.meta.skipped[name] = `no trained model in ${dir} (manifest.json missing)`;
      opts.log(`groovebox:eval ${name}: skipped, ${results.meta.skipped[name]}`);
      continue;
    }
    evaluate(loadModelPlayer(dir, opts.generateOptions));
  }
  const t0 = performance.now();
  const makers: Record<NonNeuralName, () => Player> = {
    quantized: () => quantizedPlayer(fit),
    jitter: () => jitterPlayer(fit),
    template: () => templatePlayer(fit),
    nearest: () => nearestPlayer(train),
  };
  for (const name of opts.nonNeural ?? NON_NEURAL) evaluate(makers[name]());
  opts.log(`groovebox:eval non-neural players (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
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

const summary = (e: PerformanceError): ErrorSummary => ({
  offsetMAE: e.offsetMAE,
  velocityMAE: e.velocityMAE,
  hitRecall: e.realHits ? e.matched / e.realHits : NaN,
});

function evaluatePlayer(
  player: Player,
  ctx: ex.ExperimentContext,
  cache: DatasetCache,
  realTest: HitValues,
  reference: Reference,
  opts: EvaluateOptions,
  perWindow: Map<string, number[]>,
): PlayerResults {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const step = (what: string) =>
    opts.log(
      `groovebox:eval ${player.name}: ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s, CPU ${cpuSecondsSince(cpu0)} s)`,
    );
  const notes: Record<string, string> = {};
  const real = ctx.test.map((w) => w.pattern);
  const runs = ex.humanize(player, ctx);
  const forced = ex.humanizeForced(player, ctx);
  step('humanized (Table 1, and once forced)');
  const fidelity = ex.scoreFidelity(ctx, runs);
  const out: PlayerResults = {
    kind: player.kind,
    ...(player.checkpoint ? { checkpoint: player.checkpoint } : {}),
    diversity: ex.diversity(ctx, runs),
    scoreFidelity: fidelity,
    scoreF1: fidelity.f1,
    realism: { humanize: ex.realism(realTest, runs.flat(), runs.flat().length) },
    measures: {
      humanize: {
        unforced: summary(
          performanceError(
            runs.flatMap(() => real),
            runs.flat(),
          ),
        ),
        forced: summary(performanceError(real, forced)),
        distribution: distribution(real, runs.flat()),
      },
      score: { f1Unforced: fidelity.f1, f1Forced: ex.scoreFidelity(ctx, [forced]).f1 },
    },
    notes,
    seconds: 0,
    cpuSeconds: 0,
  };
  if (player.kind === 'model') {
    const choice = ex.chooseFreeHits(player, ctx);
    const free = ex.freeSample(player, ctx.test.length, ctx.seed, ctx.batchSize, choice.hits);
    out.realism.free = {
      ...ex.realism(realTest, free, free.length),
      hits: choice.hits,
      validationHitsPerWindow: { ...choice.perWindow, real: choice.real },
    };
    step(`free sampling with ${choice.hits} hits`);
  } else {
    notes.free = 'nothing given: a non-neural player has nothing to play';
  }
  if (player.grooveModel) {
    out.losses = losses(player.grooveModel, cache, opts.limit, opts.seed);
    step('losses');
  } else {
    notes.losses = "teacher-forced losses need a GrooveModel's weights";
  }
  const tableOnly = player.kind === 'model' && TABLE1_ONLY.includes(player.name);
  if (!player.reads.groove || tableOnly) {
    notes.groove = tableOnly
      ? "a Table 1 model: the groove experiments run for ag2, ag11, the box's models and the non-neural players"
      : 'the model takes no Groove';
  } else {
    out.swing = ex.swing(player, ctx, reference.swingVelocity);
    out.measures.swing = Object.fromEntries(
      Object.entries(out.swing).map(([k, v]) => [k, { target: v.target, offBeatMean: v.mean, absError: v.absError }]),
    );
    step('swing (Table 2 with rushed and straight)');
    const own = ex.ownScoreAndGroove(player, ctx);
    const ownForced = ex.ownScoreAndGroove(player, ctx, true);
    const ownError = performanceError(real, own);
    perWindow.set(player.name, ownError.perWindowOffsetMAE);
    out.measures.ownScoreAndGroove = {
      unforced: summary(ownError),
      forced: summary(performanceError(real, ownForced)),
    };
    out.grooveControl = ex.grooveControl(ctx, own, runs[0]);
    const grooves = ctx.test.map((w) => groove(w.pattern));
    out.measures.drumify = drumify(real, grooves, ex.drumifyOwnGroove(player, ctx));
    step('own Score and Groove, drumify');
  }
  if (!player.reads.accent || tableOnly) {
    notes.accent = tableOnly ? notes.groove : 'the model takes no Accent';
  } else {
    out.measures.accent = accentFollowing(
      ex.accentOnE(player, ctx, accentOnTheE()),
      ctx.test.map(() => accentOnTheE()),
    );
    if (player.kind === 'model') out.accentControl = ex.accentControl(player, ctx, runs[0]);
    step('accents');
  }
  if (player.kind === 'model' && player.reads.drumRows) {
    out.drumControl = ex.drumControl(player, ctx, runs);
    step('per-drum control');
  }
  const aux = ex.auxiliary(player, ctx);
  if (Object.keys(aux).length > 0) {
    out.auxiliary = aux;
    step('auxiliary reconstructions');
  }
  out.seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
  out.cpuSeconds = cpuSecondsSince(cpu0);
  return out;
}

/** Windows per split for the teacher-forced losses: enough for a loss to two decimals, few enough for the time budget. */
export const LOSS_WINDOWS = 512;

/** Teacher-forced reconstruction losses (the training objective's parts): up to 512 windows of each split, spread over it. */
function losses(
  model: GrooveModel,
  cache: DatasetCache,
  limit: number | undefined,
  seed: number,
): PlayerResults['losses'] {
  const split = (name: 'validation' | 'test') => {
    const windows = evalWindows(cache, name, Math.min(limit ?? Infinity, LOSS_WINDOWS));
    const patterns = new Float32Array(windows.length * PATTERN_TENSOR_SIZE);
    windows.forEach((w, k) =>
      patterns.set(
        cache.splits[name].data.subarray(w.index * PATTERN_TENSOR_SIZE, (w.index + 1) * PATTERN_TENSOR_SIZE),
        k * PATTERN_TENSOR_SIZE,
      ),
    );
    // evaluateLoss only reads the weights; the cast drops ReadonlyMap's compile-time guard, nothing else.
    const parts = evaluateLoss(
      model.params as Params,
      model.config,
      { patterns, gestures: gestureArrays(patterns), count: windows.length },
      seed,
    );
    return Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, Number(v.toFixed(4))]));
  };
  return { validation: split('validation'), test: split('test') };
}

function makeReference(
  cache: DatasetCache,
  ctx: ex.ExperimentContext,
  realTest: HitValues,
  fit: TrainFit,
  limit: number | undefined,
): Reference {
  const validationPatterns = evalWindows(cache, 'validation', limit).map((w) => w.pattern);
  const realValidation = hitValues(validationPatterns);
  const testPatterns = ctx.test.map((w) => w.pattern);
  const realVsReal = distribution(testPatterns, validationPatterns);
  const weightedW1 = (a: number[][], b: number[][]) => {
    let sum = 0,
      weight = 0;
    b.forEach((real, d) => {
      if (real.length && a[d].length) {
        sum += wasserstein1(a[d], real) * real.length;
        weight += real.length;
      }
    });
    return weight ? sum / weight : NaN;
  };
  let grooveVelocity = 0,
    taps = 0;
  for (const w of ctx.validation) {
    const g = groove(w.pattern);
    for (let s = 0; s < STEPS; s++)
      if (g.hits[s] > 0.5) {
        grooveVelocity += g.velocities[s];
        taps++;
      }
  }
  if (taps === 0)
    throw new Error('evaluate: the validation windows hold no hits, so the swing Grooves have no velocity to use');
  return {
    testHitsPerWindow: realTest.hits / ctx.test.length,
    validationHitsPerWindow: hitValues(ctx.validation.map((w) => w.pattern)).hits / ctx.validation.length,
    offsetStd: meanStd(realTest.offsets.flat()).std,
    offsetStdPerDrum: realTest.offsets.map((o) => meanStd(o).std),
    velocityStdPerDrum: realTest.velocities.map((v) => meanStd(v).std),
    floor: {
      offsetsW1Mean: weightedW1(realValidation.offsets, realTest.offsets),
      velocitiesW1Mean: weightedW1(realValidation.velocities, realTest.velocities),
    },
    quantizedOffsetsW1Mean: weightedW1(
      realTest.offsets.map((o) => o.map(() => 0)),
      realTest.offsets,
    ),
    realOffBeat: meanStd(ex.offBeatOffsets(ctx.test.map((w: EvalWindow) => w.pattern))),
    realOnBeat: meanStd(
      ex.offBeatOffsets(
        ctx.test.map((w: EvalWindow) => w.pattern),
        0,
      ),
    ),
    swingVelocity: grooveVelocity / taps,
    realVsReal: { offsetsW1: realVsReal.offsetsW1, velocitiesW1: realVsReal.velocitiesW1 },
    realAccent: accentFollowing(
      testPatterns,
      testPatterns.map((p) => accent(p)),
    ),
    realHitsPerWindowPerDrum: realTest.offsets.map((o) => o.length / ctx.test.length),
    quantizedVelocity: fit.meanVelocity * MIDI,
  };
}
