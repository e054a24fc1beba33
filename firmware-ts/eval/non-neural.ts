import type { Gestures } from '../model/generator.js';
import { mulberry32 } from '../model/random.js';
import { DRUM_COUNT } from '../pattern/drums.js';
import { groove as grooveOf, type Groove } from '../pattern/gestures.js';
import { CELLS, Pattern, STEPS } from '../pattern/pattern.js';
import { PATTERN_TENSOR_SIZE, tensorDataToPattern } from '../pattern/tensor-layout.js';
import type { Player } from './player.js';

/**
 * The non-neural players: what a performer could use instead of the model.
 * Each is fitted on the train split only, then plays any request:
 *   - the hits are the given score (all nine rows, or the given `drums` rows);
 *   - with no score, the tapped Groove's steps on the closed hat (how the CLI
 *     plays a tap back), so a drumify request still gets a loop;
 *   - with neither, an empty loop.
 * Only the nearest-neighbour player (nearest.ts) may play other hits than these.
 */

/** A split's windows as the cache stores them: `count` pattern tensors back to back. */
export interface SplitData {
  count: number;
  data: Float32Array;
}

const CLOSED_HAT = 2;
const READS_ALL = { score: true, drumRows: true, groove: true, accent: true } as const;

/** What the train split tells the non-neural players. */
export interface TrainFit {
  /** Mean velocity (0..1) over every train hit, rounded to a MIDI value: the quantized player's constant. */
  meanVelocity: number;
  /** Per drum, every train hit's offset and velocity (same index = same hit). */
  perDrum: { offsets: Float32Array; velocities: Float32Array }[];
  /** Per step (0..31): mean offset and velocity of the train Grooves' taps there; the template's groove when none is tapped. */
  meanGroove: Groove;
}

export function fitTrain(train: SplitData): TrainFit {
  const offsets: number[][] = Array.from({ length: DRUM_COUNT }, () => []);
  const velocities: number[][] = Array.from({ length: DRUM_COUNT }, () => []);
  const stepOffset = new Float64Array(STEPS),
    stepVelocity = new Float64Array(STEPS),
    stepTaps = new Float64Array(STEPS);
  let sum = 0,
    hits = 0;
  for (let k = 0; k < train.count; k++) {
    const p = tensorDataToPattern(train.data, k * PATTERN_TENSOR_SIZE);
    for (let i = 0; i < CELLS; i++) {
      if (p.hits[i] <= 0.5) continue;
      offsets[i % DRUM_COUNT].push(p.offsets[i]);
      velocities[i % DRUM_COUNT].push(p.velocities[i]);
      sum += p.velocities[i];
      hits++;
    }
    const g = grooveOf(p);
    for (let s = 0; s < STEPS; s++) {
      if (g.hits[s] <= 0.5) continue;
      stepOffset[s] += g.offsets[s];
      stepVelocity[s] += g.velocities[s];
      stepTaps[s]++;
    }
  }
  if (hits === 0) throw new Error('non-neural players: the train split holds no hits to fit them on');
  const meanGroove: Groove = {
    hits: new Float32Array(STEPS).fill(1),
    velocities: new Float32Array(STEPS),
    offsets: new Float32Array(STEPS),
  };
  for (let s = 0; s < STEPS; s++) {
    meanGroove.offsets[s] = stepTaps[s] ? stepOffset[s] / stepTaps[s] : 0;
    meanGroove.velocities[s] = stepTaps[s] ? stepVelocity[s] / stepTaps[s] : sum / hits;
  }
  // A drum the train split never plays borrows every drum's hits, so jitter always has something to draw.
  const all = { offsets: Float32Array.from(offsets.flat()), velocities: Float32Array.from(velocities.flat()) };
  return {
    meanVelocity: Math.round((sum / hits) * 127) / 127,
    perDrum: offsets.map((o, d) =>
      o.length ? { offsets: Float32Array.from(o), velocities: Float32Array.from(velocities[d]) } : all,
    ),
    meanGroove,
  };
}

/** The cells a non-neural player plays for a request (1 = hit), per the rule at the top of this file. */
export function playedCells(g: Gestures): Float32Array {
  const cells = new Float32Array(CELLS);
  if (g.score) {
    for (let i = 0; i < CELLS; i++) cells[i] = g.score[i] > 0.5 ? 1 : 0;
  } else if (g.drums && g.drums.some((row) => row !== null)) {
    g.drums.forEach((row, d) =>
      row?.forEach((v, s) => {
        if (v > 0.5) cells[s * DRUM_COUNT + d] = 1;
      }),
    );
  } else if (g.groove) {
    for (let s = 0; s < STEPS; s++) if (g.groove.hits[s] > 0.5) cells[s * DRUM_COUNT + CLOSED_HAT] = 1;
  }
  return cells;
}

function nonNeural(name: string, play: (g: Gestures, rand: () => number) => Pattern): Player {
  return {
    name,
    kind: 'non-neural',
    reads: READS_ALL,
    generateBatch: (requests, options) => {
      const rand = mulberry32(options.seed);
      return requests.map((g) => ({ pattern: play(g, rand), reconstructions: {} }));
    },
    dispose: () => {},
  };
}

/** (a) The score as a step sequencer plays it: offset 0, one velocity for every hit (the train split's mean). */
export function quantizedPlayer(fit: TrainFit): Player {
  return nonNeural('quantized', (g) => {
    const cells = playedCells(g);
    const p = new Pattern();
    for (let i = 0; i < CELLS; i++)
      if (cells[i]) p.set(Math.floor(i / DRUM_COUNT), i % DRUM_COUNT, fit.meanVelocity, 0);
    return p;
  });
}

/**
 * (b) Per-drum random jitter: every hit draws one real train hit of the same
 * drum and copies its offset and velocity (the empirical joint distribution,
 * so a drum's loud-and-late habit stays together). Nothing follows a Groove or Accent.
 */
export function jitterPlayer(fit: TrainFit): Player {
  return nonNeural('jitter', (g, rand) => {
    const cells = playedCells(g);
    const p = new Pattern();
    for (let i = 0; i < CELLS; i++) {
      if (!cells[i]) continue;
      const pool = fit.perDrum[i % DRUM_COUNT];
      const k = Math.min(pool.offsets.length - 1, Math.floor(rand() * pool.offsets.length));
      p.set(Math.floor(i / DRUM_COUNT), i % DRUM_COUNT, pool.velocities[k], pool.offsets[k]);
    }
    return p;
  });
}

/**
 * The groove a template applies: the tapped steps as tapped; an untapped step
 * takes the mean offset and velocity of the taps at the same place in the beat
 * (step mod 4: the downbeat, "e", "and", "a"), or of all taps where that place
 * has none. With no Groove given, the train split's mean groove.
 */
export function templateGroove(given: Groove | null | undefined, fit: TrainFit): Groove {
  if (!given || !given.hits.some((h) => h > 0.5)) return fit.meanGroove;
  const out: Groove = {
    hits: new Float32Array(STEPS).fill(1),
    velocities: new Float32Array(STEPS),
    offsets: new Float32Array(STEPS),
  };
  const mean = (steps: number[]) => {
    const tapped = steps.filter((s) => given.hits[s] > 0.5);
    if (tapped.length === 0) return null;
    return {
      offset: tapped.reduce((a, s) => a + given.offsets[s], 0) / tapped.length,
      velocity: tapped.reduce((a, s) => a + given.velocities[s], 0) / tapped.length,
    };
  };
  const all = mean(Array.from({ length: STEPS }, (_, s) => s))!;
  for (let s = 0; s < STEPS; s++) {
    if (given.hits[s] > 0.5) {
      out.offsets[s] = given.offsets[s];
      out.velocities[s] = given.velocities[s];
      continue;
    }
    const place = mean(Array.from({ length: STEPS / 4 }, (_, b) => b * 4 + (s % 4))) ?? all;
    out.offsets[s] = place.offset;
    out.velocities[s] = place.velocity;
  }
  return out;
}

/**
 * (c) The groove template, as a drum machine's groove pool applies one: every
 * hit at step s, whatever the drum, gets the template groove's offset and
 * velocity of step s (templateGroove says what an untapped step gets).
 */
export function templatePlayer(fit: TrainFit): Player {
  return nonNeural('template', (g) => {
    const cells = playedCells(g);
    const t = templateGroove(g.groove, fit);
    const p = new Pattern();
    for (let i = 0; i < CELLS; i++) {
      const s = Math.floor(i / DRUM_COUNT);
      if (cells[i]) p.set(s, i % DRUM_COUNT, t.velocities[s], t.offsets[s]);
    }
    return p;
  });
}
