import { expect } from 'chai';
import type { FuzzResult } from './helpers/fuzz-midi.js';
import { inWorker } from './helpers/watchdog.js';

const SEED = 20240611;
const CASES = 4000;
/** Far above the ~1 s the loop takes: passing it means a hang, not slowness. */
const HANG_SECONDS = 60;

describe('midi-file: fuzz', () => {
  it(`reads ${CASES} mutated fixtures (seed ${SEED}): only MidiFileError, never a hang or another exception`, async function () {
    this.timeout((HANG_SECONDS + 10) * 1000);
    const result = await inWorker<FuzzResult>({ seed: SEED, cases: CASES }, HANG_SECONDS);
    expect(result.failure).to.equal(undefined);
    // Both paths were exercised: some mutations are harmless, most are not.
    expect(result.accepted).to.be.above(CASES / 50);
    expect(result.refused).to.be.above(CASES / 4);
  });
});
