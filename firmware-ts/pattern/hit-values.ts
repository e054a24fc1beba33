// The notes of many patterns gathered per drum: what distributions over drums are measured on
// (the evaluation's realism, a model's velocity calibration).
import { DRUM_COUNT } from './drums.js';
import type { Pattern } from './pattern.js';

/** Velocities and offsets of every hit, per drum. */
export interface HitValues {
  offsets: number[][];
  velocities: number[][];
  hits: number;
}

export function hitValues(patterns: readonly Pattern[]): HitValues {
  const out: HitValues = {
    offsets: Array.from({ length: DRUM_COUNT }, () => []),
    velocities: Array.from({ length: DRUM_COUNT }, () => []),
    hits: 0,
  };
  for (const p of patterns) {
    for (let i = 0; i < p.hits.length; i++) {
      if (p.hits[i] <= 0.5) continue;
      const drum = i % DRUM_COUNT;
      out.offsets[drum].push(p.offsets[i]);
      out.velocities[drum].push(p.velocities[i]);
      out.hits++;
    }
  }
  return out;
}
