/**
 * The notes under a tap. A tapped Groove is each step's loudest note, so where one is tapped one of the loop's notes
 * at that step carries the tap and plays it exactly (draw-notes.ts). Which note that is, and how far each of the
 * step's other notes (a kick under a hi-hat, a hat under a snare) is played from the tap and how much softer, is what
 * this small network predicts, from the whole loop's hits and Groove seen from the note's step.
 *
 * Why a network of its own: the step decoder does not know which drum carries the tap, so its velocity and timing
 * for each drum mix the steps where that drum is the loudest (exactly the tap) with the steps where it is not. Its
 * notes at a tapped step come out close to the tap and to each other, so which one carries it is nearly a coin toss,
 * and the others play almost the tap itself (docs/models.md measures both). This network is fitted on the notes of
 * tapped steps alone (train/under-tap-fit.ts): a score for carrying the tap, and the departure from the tap of a note
 * that does not.
 *
 * A loop's notes go through it as one batch (under-tap-tensors.ts runs it on the model's backend; the plain-JS
 * predictor here is the same arithmetic for tests and scripts).
 */
import * as v from 'valibot';
import { DRUM_COUNT } from '../pattern/drums.js';
import type { Groove } from '../pattern/gestures.js';
import { STEPS, STEPS_PER_BAR } from '../pattern/pattern.js';
import * as validation from '../support/validate.js';

/** The files beside a model's weights that hold the network: its shape (JSON) and its weights (float32). */
export const UNDER_TAP_MANIFEST_FILE = 'under-tap.json';
export const UNDER_TAP_WEIGHTS_FILE = 'under-tap.bin';

/** Per step of the loop, seen from the note's step: the tap (hit, velocity, offset) and each drum's hit. */
const PER_STEP = 3 + DRUM_COUNT;
const DRUM_AT = STEPS * PER_STEP;
const PLACE_AT = DRUM_AT + DRUM_COUNT;
/** The input width: every step, then the note's drum and its step's place in the bar. */
export const UNDER_TAP_FEATURES = PLACE_AT + STEPS_PER_BAR;
/**
 * Outputs per note: its offset minus the tapped one and its velocity minus the tapped one (the pattern's units), for
 * a note that does not carry the tap; and a score (a logit) for carrying it.
 */
export const UNDER_TAP_OUTPUTS = 3;

/** A loop as the network reads it: which drums hit at each step, and the Groove. */
export interface LoopView {
  hit(step: number, drum: number): boolean;
  groove: Groove;
}

/** Every step's part of the input, in loop order (the tap, then each drum's hit): computed once per loop. */
export function loopSteps(loop: LoopView): Float32Array {
  const out = new Float32Array(STEPS * PER_STEP);
  const { groove } = loop;
  for (let s = 0; s < STEPS; s++) {
    const at = s * PER_STEP;
    if (groove.hits[s] > 0.5) {
      out[at] = 1;
      out[at + 1] = groove.velocities[s];
      out[at + 2] = groove.offsets[s];
    }
    for (let d = 0; d < DRUM_COUNT; d++) if (loop.hit(s, d)) out[at + 3 + d] = 1;
  }
  return out;
}

/**
 * The network's input for the note of `drum` at `step`, written into `into` (every entry set here) from the loop's
 * `loopSteps`. The loop is turned so the note's step comes first: a pattern one step later is the same input one
 * step later.
 */
export function inputFromSteps(steps: Float32Array, step: number, drum: number, into: Float32Array): Float32Array {
  const cut = step * PER_STEP;
  into.set(steps.subarray(cut), 0);
  into.set(steps.subarray(0, cut), DRUM_AT - cut);
  into.fill(0, DRUM_AT);
  into[DRUM_AT + drum] = 1;
  into[PLACE_AT + (step % STEPS_PER_BAR)] = 1;
  return into;
}

/** The network's input for one note of `loop` (inputFromSteps, for a single note). */
export function underTapFeatures(loop: LoopView, step: number, drum: number, into: Float32Array): Float32Array {
  return inputFromSteps(loopSteps(loop), step, drum, into);
}

/** A fitted network: two ReLU layers and a linear output; each matrix row-major [inputs][outputs]. */
export interface UnderTapNet {
  hidden: [number, number];
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
  w3: Float32Array;
  b3: Float32Array;
}

/** The weight arrays in file order, with their lengths for a network of `hidden` units. */
export function underTapShapes(hidden: readonly [number, number]): [keyof UnderTapNet, number][] {
  const [h1, h2] = hidden;
  return [
    ['w1', UNDER_TAP_FEATURES * h1],
    ['b1', h1],
    ['w2', h1 * h2],
    ['b2', h2],
    ['w3', h2 * UNDER_TAP_OUTPUTS],
    ['b3', UNDER_TAP_OUTPUTS],
  ];
}

/** Predicts `n` notes at once: `x` holds their inputs row-major; the result, per note, [offset, velocity, carries]. */
export type UnderTapPredictor = (x: Float32Array, n: number) => Float32Array;

/** The network in plain JS: its input is mostly zeros (hits), so the first layer adds up only the rows that are set. */
export function jsUnderTapPredictor(net: UnderTapNet): UnderTapPredictor {
  const [h1, h2] = net.hidden;
  const a1 = new Float32Array(h1);
  const a2 = new Float32Array(h2);
  return (x, n) => {
    const out = new Float32Array(n * UNDER_TAP_OUTPUTS);
    for (let k = 0; k < n; k++) {
      const base = k * UNDER_TAP_FEATURES;
      a1.set(net.b1);
      for (let i = 0; i < UNDER_TAP_FEATURES; i++) {
        const xi = x[base + i];
        if (xi === 0) continue;
        const row = i * h1;
        for (let j = 0; j < h1; j++) a1[j] += xi * net.w1[row + j];
      }
      a2.set(net.b2);
      for (let i = 0; i < h1; i++) {
        const ai = a1[i];
        if (ai <= 0) continue; // ReLU
        const row = i * h2;
        for (let j = 0; j < h2; j++) a2[j] += ai * net.w2[row + j];
      }
      const o = k * UNDER_TAP_OUTPUTS;
      out.set(net.b3, o);
      for (let i = 0; i < h2; i++) {
        const ai = a2[i];
        if (ai <= 0) continue;
        for (let j = 0; j < UNDER_TAP_OUTPUTS; j++) out[o + j] += ai * net.w3[i * UNDER_TAP_OUTPUTS + j];
      }
    }
    return out;
  };
}

/** How the network was fitted, kept in its manifest for whoever reads the model folder. */
export interface UnderTapFit {
  /** Train windows it was fitted on, and how many notes under a tap they held. */
  windows: number;
  notes: number;
  /**
   * The epoch kept (the best on validation) and, there, the mean absolute errors of the notes not carrying the tap
   * (offsets; velocities in MIDI) and the share of tapped steps with two or more notes whose carrier it picks.
   */
  epoch: number;
  validationOffsetError: number;
  validationVelocityError: number;
  validationCarrierAccuracy: number;
}

const MANIFEST_SCHEMA = validation.plainObjectWith(
  {
    features: v.literal(UNDER_TAP_FEATURES, `${UNDER_TAP_FEATURES} (the input this code builds)`),
    hidden: v.pipe(
      v.tuple(
        [
          validation.integerIn(1, 4096, 'a whole number 1..4096'),
          validation.integerIn(1, 4096, 'a whole number 1..4096'),
        ],
        'two layer sizes [first, second]',
      ),
    ),
    fit: validation.plainObjectWith(
      {
        windows: validation.integerIn(0, 1e7, 'a whole number of windows'),
        notes: validation.integerIn(0, 1e9, 'a whole number of notes'),
        epoch: validation.integerIn(0, 1e6, 'a whole number'),
        validationOffsetError: validation.numberIn(0, 2, 'an offset error 0..2'),
        validationVelocityError: validation.numberIn(0, 127, 'a velocity error 0..127 (MIDI)'),
        validationCarrierAccuracy: validation.numberIn(0, 1, 'a share 0..1'),
      },
      'an object { windows, notes, epoch, validationOffsetError, validationVelocityError, validationCarrierAccuracy }',
    ),
  },
  'a JSON object { features, hidden, fit }',
);

/** The network as its two files: the manifest's text and the weights' bytes (little-endian float32 in file order). */
export function encodeUnderTap(net: UnderTapNet, fit: UnderTapFit): Record<string, Uint8Array> {
  const shapes = underTapShapes(net.hidden);
  const all = new Float32Array(shapes.reduce((a, [, n]) => a + n, 0));
  let at = 0;
  for (const [key, n] of shapes) {
    all.set(net[key] as Float32Array, at);
    at += n;
  }
  const manifest = { features: UNDER_TAP_FEATURES, hidden: net.hidden, fit };
  return {
    [UNDER_TAP_MANIFEST_FILE]: new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`),
    [UNDER_TAP_WEIGHTS_FILE]: new Uint8Array(all.buffer),
  };
}

/**
 * Reads the network's two files (their texts and paths for the messages); anything off is one line naming the file,
 * the key or size, and what was expected.
 */
export function decodeUnderTap(
  manifestText: string,
  manifestFile: string,
  weights: Uint8Array,
  weightsFile: string,
): { net: UnderTapNet; fit: UnderTapFit } {
  const manifest = validation.validateJsonFile(MANIFEST_SCHEMA, manifestText, manifestFile);
  const hidden: [number, number] = [manifest.hidden[0], manifest.hidden[1]];
  const shapes = underTapShapes(hidden);
  const floats = shapes.reduce((a, [, n]) => a + n, 0);
  if (weights.byteLength !== floats * 4)
    throw new Error(
      `${weightsFile}: expected ${floats * 4} bytes (float32 weights of a ${UNDER_TAP_FEATURES}-${hidden.join('-')}-${UNDER_TAP_OUTPUTS} network, as ${manifestFile} says), got ${weights.byteLength}`,
    );
  const all = new Float32Array(new Uint8Array(weights).buffer, 0, floats);
  const bad = all.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new Error(`${weightsFile}: expected finite weights, got ${all[bad]} at float ${bad}`);
  const net = { hidden } as UnderTapNet;
  let at = 0;
  for (const [key, n] of shapes) {
    (net[key] as Float32Array) = all.slice(at, at + n);
    at += n;
  }
  return { net, fit: manifest.fit };
}
