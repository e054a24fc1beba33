import { DRUM_COUNT } from './drums.js';

/** 2 bars of 4/4 at 16th-note resolution. */
export const STEPS_PER_BAR = 16;
export const BARS = 2;
export const STEPS = STEPS_PER_BAR * BARS;
export const CELLS = STEPS * DRUM_COUNT;

/**
 * A 2-bar drum loop: 32 steps x 9 drums. Each cell is stored at `step * 9 + drum`.
 *  - hit: 0 or 1
 *  - velocity: 0..1 (MIDI velocity / 127); 0 where there is no hit
 *  - offset: -1..1 where +-1 is half a 16th step; positive = late (behind the beat),
 *    as the paper's text defines it. 0 where there is no hit.
 */
export class Pattern {
  readonly hits: Float32Array;
  readonly velocities: Float32Array;
  readonly offsets: Float32Array;

  constructor(hits?: Float32Array, velocities?: Float32Array, offsets?: Float32Array) {
    this.hits = hits ?? new Float32Array(CELLS);
    this.velocities = velocities ?? new Float32Array(CELLS);
    this.offsets = offsets ?? new Float32Array(CELLS);
    for (const [name, arr] of [
      ['hits', this.hits],
      ['velocities', this.velocities],
      ['offsets', this.offsets],
    ] as const) {
      if (arr.length !== CELLS) throw new RangeError(`Pattern ${name}: expected ${CELLS} values, got ${arr.length}`);
    }
  }

  static index(step: number, drum: number): number {
    return step * DRUM_COUNT + drum;
  }

  hit(step: number, drum: number): boolean {
    return this.hits[Pattern.index(step, drum)] > 0.5;
  }

  velocity(step: number, drum: number): number {
    return this.velocities[Pattern.index(step, drum)];
  }

  offset(step: number, drum: number): number {
    return this.offsets[Pattern.index(step, drum)];
  }

  /** Sets a hit; velocity and offset are clamped to their ranges. */
  set(step: number, drum: number, velocity: number, offset = 0): this {
    const i = Pattern.index(step, drum);
    this.hits[i] = 1;
    this.velocities[i] = clamp(velocity, 0, 1);
    this.offsets[i] = clamp(offset, -1, 1);
    return this;
  }

  clear(step: number, drum: number): this {
    const i = Pattern.index(step, drum);
    this.hits[i] = 0;
    this.velocities[i] = 0;
    this.offsets[i] = 0;
    return this;
  }

  hitCount(): number {
    let n = 0;
    for (const h of this.hits) if (h > 0.5) n++;
    return n;
  }

  isEmpty(): boolean {
    return this.hitCount() === 0;
  }

  clone(): Pattern {
    return new Pattern(this.hits.slice(), this.velocities.slice(), this.offsets.slice());
  }

  /** Plain JSON form (for slots, the panel and the worker): compact arrays of hits only. */
  toJSON(): PatternJSON {
    const notes: [number, number, number, number][] = [];
    for (let step = 0; step < STEPS; step++) {
      for (let drum = 0; drum < DRUM_COUNT; drum++) {
        const i = Pattern.index(step, drum);
        if (this.hits[i] > 0.5) notes.push([step, drum, round4(this.velocities[i]), round4(this.offsets[i])]);
      }
    }
    return { notes };
  }

  static fromJSON(json: unknown, where = 'pattern'): Pattern {
    if (typeof json !== 'object' || json === null || !Array.isArray((json as PatternJSON).notes)) {
      throw new TypeError(`${where}: expected an object with a "notes" array`);
    }
    const pattern = new Pattern();
    (json as PatternJSON).notes.forEach((note, k) => {
      if (
        !Array.isArray(note) ||
        note.length !== 4 ||
        !note.every((v) => typeof v === 'number' && Number.isFinite(v))
      ) {
        throw new TypeError(
          `${where}.notes[${k}]: expected [step, drum, velocity, offset] numbers, got ${JSON.stringify(note)}`,
        );
      }
      const [step, drum, velocity, offset] = note;
      if (!Number.isInteger(step) || step < 0 || step >= STEPS)
        throw new RangeError(`${where}.notes[${k}]: step ${step} is outside 0..${STEPS - 1}`);
      if (!Number.isInteger(drum) || drum < 0 || drum >= DRUM_COUNT)
        throw new RangeError(`${where}.notes[${k}]: drum ${drum} is outside 0..${DRUM_COUNT - 1}`);
      pattern.set(step, drum, velocity, offset);
    });
    return pattern;
  }
}

export interface PatternJSON {
  /** [step, drum, velocity 0..1, offset -1..1 (positive = late)] for every hit. */
  notes: [number, number, number, number][];
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
