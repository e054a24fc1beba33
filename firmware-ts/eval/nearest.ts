import type { Gestures } from '../model/generator.js';
import { DRUM_COUNT } from '../pattern/drums.js';
import { accent as accentOf, groove as grooveOf } from '../pattern/gestures.js';
import { CELLS, Pattern, STEPS } from '../pattern/pattern.js';
import { PATTERN_TENSOR_SIZE, tensorDataToPattern } from '../pattern/tensor-layout.js';
import type { SplitData } from './non-neural.js';
import type { Player } from './player.js';

/**
 * (d) Nearest-neighbour retrieval from the train split: find the train window
 * whose gestures are closest to the given ones, then play its performance.
 *
 * Distance, over the gestures given (the others do not count):
 *   - score: the number of cells (step, drum) where the hit differs, over the given drum rows;
 *   - Groove: the number of steps where the tap differs, plus, at steps both tap,
 *     |offset difference| + |velocity difference| (so two grooves with the same taps
 *     are told apart by their timing, a full half-16th off costing about one cell);
 *   - Accent: the number of steps where the accent differs.
 * The counts are bit operations over the whole split; the timing term is added
 * for the best `REFINE` candidates by counts only (ties: the earlier window).
 *
 * What is played:
 *   - a score given: exactly its hits (the rows left null in `drums` take the
 *     neighbour's hits). Each hit copies the neighbour's velocity and offset at
 *     the same (step, drum); where the neighbour has no such hit, its loudest hit
 *     at that step (its Groove); where that step is empty too, the mean of the
 *     neighbour's hits of that drum, else of all its hits;
 *   - no score (drumify): the neighbour's performance as it is.
 * Deterministic: the seed changes nothing, so its Table 1 diversity is 0.
 */
export const REFINE = 16;

interface Index {
  count: number;
  data: Float32Array;
  /** Per window, per drum: the 32 steps' hits as the bits of one word. */
  rows: Int32Array;
  grooveTaps: Int32Array;
  grooveOffsets: Float32Array;
  grooveVelocities: Float32Array;
  accents: Int32Array;
}

/** 32 steps as the bits of one (signed) 32-bit word; only XOR, AND and popcount ever read it. */
function bits(values: ArrayLike<number>, at = 0, stride = 1): number {
  let w = 0;
  for (let s = 0; s < STEPS; s++) if (values[at + s * stride] > 0.5) w |= 1 << s;
  return w;
}

export function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

function buildIndex(train: SplitData): Index {
  const n = train.count;
  const index: Index = {
    count: n,
    data: train.data,
    rows: new Int32Array(n * DRUM_COUNT),
    grooveTaps: new Int32Array(n),
    grooveOffsets: new Float32Array(n * STEPS),
    grooveVelocities: new Float32Array(n * STEPS),
    accents: new Int32Array(n),
  };
  for (let k = 0; k < n; k++) {
    const p = tensorDataToPattern(train.data, k * PATTERN_TENSOR_SIZE);
    for (let d = 0; d < DRUM_COUNT; d++) index.rows[k * DRUM_COUNT + d] = bits(p.hits, d, DRUM_COUNT);
    const g = grooveOf(p);
    index.grooveTaps[k] = bits(g.hits);
    index.grooveOffsets.set(g.offsets, k * STEPS);
    index.grooveVelocities.set(g.velocities, k * STEPS);
    index.accents[k] = bits(accentOf(p));
  }
  return index;
}

/** The given drum rows of a request as words (null: not given). */
function queryRows(g: Gestures): (number | null)[] | null {
  if (g.score) return Array.from({ length: DRUM_COUNT }, (_, d) => bits(g.score!, d, DRUM_COUNT));
  if (g.drums && g.drums.some((r) => r !== null)) return g.drums.map((r) => (r ? bits(r) : null));
  return null;
}

/** The best REFINE windows by the counting part of the distance (bit operations only), with their costs. */
interface Candidates {
  windows: Int32Array;
  costs: Float64Array;
}

function countNearest(
  index: Index,
  rows: (number | null)[] | null,
  taps: number | null,
  accent: number | null,
): Candidates {
  const given = rows ? rows.map((r, d) => (r === null ? -1 : d)).filter((d) => d >= 0) : [];
  const q = Int32Array.from(given.map((d) => rows![d]!));
  const at = Int32Array.from(given);
  const windows = new Int32Array(REFINE).fill(-1);
  const costs = new Float64Array(REFINE).fill(Infinity);
  const { rows: trainRows, grooveTaps, accents } = index;
  for (let k = 0; k < index.count; k++) {
    let cost = 0;
    const base = k * DRUM_COUNT;
    for (let j = 0; j < q.length; j++) cost += popcount(q[j] ^ trainRows[base + at[j]]);
    if (taps !== null) cost += popcount(taps ^ grooveTaps[k]);
    if (accent !== null) cost += popcount(accent ^ accents[k]);
    if (cost >= costs[REFINE - 1]) continue;
    let j = REFINE - 1;
    while (j > 0 && costs[j - 1] > cost) {
      costs[j] = costs[j - 1];
      windows[j] = windows[j - 1];
      j--;
    }
    costs[j] = cost;
    windows[j] = k;
  }
  return { windows, costs };
}

/** The train window closest to the request's gestures (see the distance above); -1 when nothing is given. */
function nearest(index: Index, g: Gestures, counted: Map<string, Candidates>): number {
  const rows = queryRows(g);
  const taps = g.groove ? bits(g.groove.hits) : null;
  const accent = g.accent ? bits(g.accent) : null;
  if (!rows && taps === null && accent === null) return -1;
  // Requests that differ only in the Groove's timing (the swing targets) share one counting pass.
  const key = `${rows?.join(',') ?? '-'}|${taps ?? '-'}|${accent ?? '-'}`;
  let c = counted.get(key);
  if (!c) {
    c = countNearest(index, rows, taps, accent);
    counted.set(key, c);
  }
  if (!g.groove) return c.windows[0];
  let winner = c.windows[0],
    winnerCost = Infinity;
  for (let j = 0; j < REFINE && c.windows[j] >= 0; j++) {
    const k = c.windows[j];
    let cost = c.costs[j];
    const both = (taps! & index.grooveTaps[k]) >>> 0;
    for (let s = 0; s < STEPS; s++) {
      if (!(both & (1 << s))) continue;
      cost +=
        Math.abs(g.groove.offsets[s] - index.grooveOffsets[k * STEPS + s]) +
        Math.abs(g.groove.velocities[s] - index.grooveVelocities[k * STEPS + s]);
    }
    if (cost < winnerCost) {
      winnerCost = cost;
      winner = k;
    }
  }
  return winner;
}

/** The neighbour's performance fitted to the request (the rules above). */
export function fitToRequest(neighbour: Pattern, g: Gestures): Pattern {
  const rows = queryRows(g);
  if (!rows) return neighbour.clone();
  const out = new Pattern();
  const ng = grooveOf(neighbour);
  const drumMean = Array.from({ length: DRUM_COUNT + 1 }, () => ({ v: 0, o: 0, n: 0 }));
  for (let i = 0; i < CELLS; i++) {
    if (neighbour.hits[i] <= 0.5) continue;
    for (const m of [drumMean[i % DRUM_COUNT], drumMean[DRUM_COUNT]]) {
      m.v += neighbour.velocities[i];
      m.o += neighbour.offsets[i];
      m.n++;
    }
  }
  for (let d = 0; d < DRUM_COUNT; d++) {
    for (let s = 0; s < STEPS; s++) {
      const given = rows[d];
      if (given === null) {
        if (neighbour.hit(s, d)) out.set(s, d, neighbour.velocity(s, d), neighbour.offset(s, d));
        continue;
      }
      if (!(given & (1 << s))) continue;
      if (neighbour.hit(s, d)) out.set(s, d, neighbour.velocity(s, d), neighbour.offset(s, d));
      else if (ng.hits[s] > 0.5) out.set(s, d, ng.velocities[s], ng.offsets[s]);
      else {
        const m = drumMean[d].n ? drumMean[d] : drumMean[DRUM_COUNT];
        out.set(s, d, m.n ? m.v / m.n : 0.5, m.n ? m.o / m.n : 0);
      }
    }
  }
  return out;
}

export function nearestPlayer(train: SplitData): Player {
  const index = buildIndex(train);
  // Table 1 asks for the same request five times; the search is the costly part.
  const found = new WeakMap<Gestures, number>();
  const counted = new Map<string, Candidates>();
  return {
    name: 'nearest',
    kind: 'non-neural',
    reads: { score: true, drumRows: true, groove: true, accent: true },
    generateBatch: (requests) =>
      requests.map((g) => {
        let k = found.get(g);
        if (k === undefined) {
          k = nearest(index, g, counted);
          found.set(g, k);
        }
        const pattern =
          k < 0 ? new Pattern() : fitToRequest(tensorDataToPattern(index.data, k * PATTERN_TENSOR_SIZE), g);
        return { pattern, reconstructions: {} };
      }),
    dispose: () => {},
  };
}
