import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../firmware-ts/paths.js';

export const FIXTURES_DIR = path.join(PROJECT_ROOT, 'test', 'fixtures');

/** The bytes of a MIDI fixture (see test/fixtures/make-fixtures.ts). */
export function fixture(name: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(FIXTURES_DIR, name)));
}

/** mulberry32: a tiny seeded PRNG so that a failing fuzz case can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
