import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../firmware-ts/paths.js';

export const FIXTURES_DIR = path.join(PROJECT_ROOT, 'test', 'fixtures');

/** The bytes of a MIDI fixture (see test/fixtures/make-fixtures.ts). */
export function fixture(name: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(FIXTURES_DIR, name)));
}

/** A seeded PRNG (the project's mulberry32), so that a failing fuzz case can be replayed. */
export { mulberry32 as prng } from '../../firmware-ts/model/random.js';
