/**
 * Fits the network for the notes under a tap (model/under-tap.ts) on training windows: every note of a step that
 * holds two or more, its input built from the window's own hits and Groove; its targets whether it is the step's
 * loudest (the note the Groove carries: cross-entropy) and, for the others, how far it was played from the tap and how
 * much softer (least absolute error: the evaluation measures absolute errors, and the box plays the likeliest value
 * where a groove is tapped, the median being what a drummer is nearest to). The epoch kept is the one with the lowest
 * loss on validation windows.
 *
 * Features are built per batch from (window, step, drum) triples: the whole train split's inputs at once would take
 * hundreds of megabytes.
 */
import * as tf from '@tensorflow/tfjs';
import { DRUM_COUNT } from '../pattern/drums.js';
import { groove, loudestDrum } from '../pattern/gestures.js';
import { STEPS, type Pattern } from '../pattern/pattern.js';
import { mulberry32 } from '../model/random.js';
import {
  inputFromSteps,
  loopSteps,
  UNDER_TAP_FEATURES,
  UNDER_TAP_OUTPUTS,
  type LoopView,
  type UnderTapFit,
  type UnderTapNet,
} from '../model/under-tap.js';

export interface UnderTapFitOptions {
  hidden?: [number, number];
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Share of the first layer's units dropped in training (each step its own). */
  dropout?: number;
  seed?: number;
  log?: (message: string) => void;
}

/** Small enough to place a loop's notes in a fraction of a millisecond; `fit-under-tap --units/--epochs` try others. */
export const UNDER_TAP_DEFAULTS = { hidden: [128, 64] as [number, number], epochs: 12, batchSize: 256 };

/** Weight of the carrier's cross-entropy beside the two absolute errors in the loss. */
const CARRIER_WEIGHT = 0.5;

/**
 * A window as the network reads a loop, with its Groove's carrier (loudest drum) per step and its steps' part of the
 * input (loopSteps), computed once: every epoch builds the inputs of all its notes again.
 */
export interface WindowLoop extends LoopView {
  pattern: Pattern;
  carriers: number[];
  steps: Float32Array;
}

export function windowLoop(pattern: Pattern): WindowLoop {
  const carriers = Array.from({ length: STEPS }, (_, s) => loudestDrum(pattern, s));
  const loop: LoopView = { hit: (s, d) => pattern.hit(s, d), groove: groove(pattern) };
  return { ...loop, pattern, carriers, steps: loopSteps(loop) };
}

export interface Note {
  window: number;
  step: number;
  drum: number;
}

/** Every note of a step that holds two or more (with one, that note carries the tap and nothing is to be chosen). */
export function notesOfSharedSteps(loops: readonly WindowLoop[]): Note[] {
  const notes: Note[] = [];
  loops.forEach((loop, window) => {
    for (let step = 0; step < STEPS; step++) {
      const drums = Array.from({ length: DRUM_COUNT }, (_, d) => d).filter((d) => loop.hit(step, d));
      if (drums.length >= 2) for (const drum of drums) notes.push({ window, step, drum });
    }
  });
  return notes;
}

/** Inputs and targets of `notes` [from, to): departure in offset and velocity (0 for a carrier), carries (0/1). */
export function batchOf(
  notes: readonly Note[],
  from: number,
  to: number,
  loops: readonly WindowLoop[],
): { x: Float32Array; y: Float32Array } {
  const n = to - from;
  const x = new Float32Array(n * UNDER_TAP_FEATURES);
  const y = new Float32Array(n * UNDER_TAP_OUTPUTS);
  for (let i = 0; i < n; i++) {
    const { window, step, drum } = notes[from + i];
    const loop = loops[window];
    inputFromSteps(loop.steps, step, drum, x.subarray(i * UNDER_TAP_FEATURES, (i + 1) * UNDER_TAP_FEATURES));
    const carries = loop.carriers[step] === drum;
    y[3 * i] = carries ? 0 : loop.pattern.offset(step, drum) - loop.groove.offsets[step];
    y[3 * i + 1] = carries ? 0 : loop.pattern.velocity(step, drum) - loop.groove.velocities[step];
    y[3 * i + 2] = carries ? 1 : 0;
  }
  return { x, y };
}

/**
 * The loss of a batch: the absolute errors of the notes that do not carry the tap (per such note), plus the
 * carrier's cross-entropy (per note) times its weight.
 */
function batchLoss(predicted: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  const carries = y.slice([0, 2], [-1, 1]);
  const under = tf.scalar(1).sub(carries);
  const departure = predicted
    .slice([0, 0], [-1, 2])
    .sub(y.slice([0, 0], [-1, 2]))
    .abs()
    .mul(under)
    .sum();
  const perUnder = departure.div(tf.maximum(under.sum(), 1));
  const crossEntropy = tf.losses.sigmoidCrossEntropy(carries, predicted.slice([0, 2], [-1, 1]));
  return perUnder.add(crossEntropy.mul(CARRIER_WEIGHT)) as tf.Scalar;
}

/** How a network does on some windows' shared steps (UnderTapFit's validation figures, and the loss it is chosen by). */
export interface UnderTapScore {
  /** Mean absolute errors of the notes that do not carry the tap: offsets, velocities in MIDI. */
  offsets: number;
  velocities: number;
  /** Share of the steps with two or more notes whose carrier gets the highest score. */
  carrierAccuracy: number;
  /** The training loss over all these notes. */
  loss: number;
}

/** Scores `predict` (outputs of a batch of inputs, row-major [n, UNDER_TAP_OUTPUTS]) on `notes` of `loops`. */
export function scoreUnderTap(
  predict: (x: Float32Array, n: number) => ArrayLike<number>,
  notes: readonly Note[],
  loops: readonly WindowLoop[],
): UnderTapScore {
  let offsets = 0,
    velocities = 0,
    under = 0,
    crossEntropy = 0,
    steps = 0,
    right = 0;
  // Notes of one step are consecutive (notesOfSharedSteps); a step is scored when its last note is seen.
  let best = { key: '', logit: -Infinity, carries: false };
  const close = () => {
    if (best.key === '') return;
    steps++;
    if (best.carries) right++;
  };
  for (let from = 0; from < notes.length; from += 4096) {
    const to = Math.min(notes.length, from + 4096);
    const { x, y } = batchOf(notes, from, to, loops);
    const out = predict(x, to - from);
    for (let i = 0; i < to - from; i++) {
      const { window, step } = notes[from + i];
      const key = `${window}/${step}`;
      const logit = out[3 * i + 2];
      const carries = y[3 * i + 2] === 1;
      if (key !== best.key) {
        close();
        best = { key, logit, carries };
      } else if (logit > best.logit) best = { key, logit, carries };
      // log(1 + e^-z) for the carrier, log(1 + e^z) for the others, written to stay finite for large |z|.
      const z = carries ? logit : -logit;
      crossEntropy += Math.max(-z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
      if (carries) continue;
      under++;
      offsets += Math.abs(y[3 * i] - out[3 * i]);
      velocities += Math.abs(y[3 * i + 1] - out[3 * i + 1]);
    }
  }
  close();
  const perUnder = (offsets + velocities) / Math.max(1, under);
  return {
    offsets: offsets / Math.max(1, under),
    velocities: (127 * velocities) / Math.max(1, under),
    carrierAccuracy: right / Math.max(1, steps),
    loss: perUnder + (CARRIER_WEIGHT * crossEntropy) / Math.max(1, notes.length),
  };
}

/**
 * Fits the network on `train` windows, keeping the epoch best on `validation`; deterministic for a seed on one
 * backend.
 */
export async function fitUnderTap(
  train: readonly Pattern[],
  validation: readonly Pattern[],
  options: UnderTapFitOptions = {},
): Promise<{ net: UnderTapNet; fit: UnderTapFit }> {
  const hidden = options.hidden ?? UNDER_TAP_DEFAULTS.hidden;
  const epochs = options.epochs ?? UNDER_TAP_DEFAULTS.epochs;
  const batchSize = options.batchSize ?? UNDER_TAP_DEFAULTS.batchSize;
  const dropout = options.dropout ?? 0.2;
  const seed = options.seed ?? 1;
  const log = options.log ?? (() => {});
  const trainLoops = train.map(windowLoop);
  const validationLoops = validation.map(windowLoop);
  const trainNotes = notesOfSharedSteps(trainLoops);
  const validationNotes = notesOfSharedSteps(validationLoops);
  if (trainNotes.length === 0) throw new Error('under-tap fit: no step of the train windows holds two notes');
  if (validationNotes.length === 0) throw new Error('under-tap fit: no step of the validation windows holds two notes');

  const [h1, h2] = hidden;
  // A variable holds its own reference to the initial values: those are freed at once.
  const variable = (make: () => tf.Tensor) => {
    const initial = tf.tidy(make);
    const v = tf.variable(initial);
    initial.dispose();
    return v;
  };
  const glorot = (fanIn: number, fanOut: number, s: number) =>
    variable(() => tf.randomUniform([fanIn, fanOut], -1, 1, 'float32', s).mul(Math.sqrt(6 / (fanIn + fanOut))));
  const vars = {
    w1: glorot(UNDER_TAP_FEATURES, h1, seed),
    b1: variable(() => tf.zeros([h1])),
    w2: glorot(h1, h2, seed + 1),
    b2: variable(() => tf.zeros([h2])),
    w3: glorot(h2, UNDER_TAP_OUTPUTS, seed + 2),
    b3: variable(() => tf.zeros([UNDER_TAP_OUTPUTS])),
  };
  const forward = (x: tf.Tensor2D, dropSeed: number | null) => {
    let a1 = tf.relu(x.matMul(vars.w1).add(vars.b1));
    if (dropSeed !== null && dropout > 0) a1 = tf.dropout(a1, dropout, undefined, dropSeed);
    const a2 = tf.relu(a1.matMul(vars.w2).add(vars.b2));
    return a2.matMul(vars.w3).add(vars.b3) as tf.Tensor2D;
  };
  const predict = (x: Float32Array, n: number) =>
    tf.tidy(() => forward(tf.tensor2d(x, [n, UNDER_TAP_FEATURES]), null).dataSync());
  const optimizer = tf.train.adam(options.learningRate ?? 1e-3);
  const rand = mulberry32(seed);
  const order = trainNotes.map((_, i) => i);

  let best: { net: UnderTapNet; epoch: number; score: UnderTapScore } | null = null;
  let step = 0;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      // Fisher-Yates with the fit's own generator: the same seed visits the notes in the same order.
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      const shuffled = order.map((i) => trainNotes[i]);
      for (let from = 0; from < shuffled.length; from += batchSize) {
        const to = Math.min(shuffled.length, from + batchSize);
        const { x, y } = batchOf(shuffled, from, to, trainLoops);
        const dropSeed = seed * 1_000_003 + step++;
        tf.tidy(() => {
          const xs = tf.tensor2d(x, [to - from, UNDER_TAP_FEATURES]);
          const ys = tf.tensor2d(y, [to - from, UNDER_TAP_OUTPUTS]);
          optimizer.minimize(() => batchLoss(forward(xs, dropSeed), ys));
        });
      }
      const score = scoreUnderTap(predict, validationNotes, validationLoops);
      log(
        `under-tap epoch ${epoch}/${epochs}: validation loss ${score.loss.toFixed(4)}, offsets ${score.offsets.toFixed(4)}, ` +
          `velocities ${score.velocities.toFixed(2)}, carrier ${(100 * score.carrierAccuracy).toFixed(1)} %`,
      );
      if (!best || score.loss < best.score.loss) {
        const snapshot = (t: tf.Variable) => Float32Array.from(t.dataSync());
        best = {
          epoch,
          score,
          net: {
            hidden: [h1, h2],
            w1: snapshot(vars.w1),
            b1: snapshot(vars.b1),
            w2: snapshot(vars.w2),
            b2: snapshot(vars.b2),
            w3: snapshot(vars.w3),
            b3: snapshot(vars.b3),
          },
        };
      }
    }
  } finally {
    tf.dispose(Object.values(vars));
    optimizer.dispose();
  }
  if (!best) throw new Error('under-tap fit: no epoch was run (epochs must be >= 1)');
  return {
    net: best.net,
    fit: {
      windows: train.length,
      notes: trainNotes.length,
      epoch: best.epoch,
      validationOffsetError: Number(best.score.offsets.toFixed(4)),
      validationVelocityError: Number(best.score.velocities.toFixed(2)),
      validationCarrierAccuracy: Number(best.score.carrierAccuracy.toFixed(4)),
    },
  };
}
