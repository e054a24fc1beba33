import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { soak } from '../firmware-ts/diagnostics/soak.js';
import { BOX_DEFAULT_MODEL } from '../firmware-ts/model/config.js';
import { MODELS_DIR } from '../firmware-ts/paths.js';

/**
 * The soak in CI: the whole box in simulation with the shipped ag11 model,
 * a new loop every bar, in real time for GROOVEBOX_SOAK_MINUTES (CI sets it;
 * the 2-hour figure comes from `groovebox soak --minutes 120`). It checks
 * what must hold on any machine; the timing figures belong in `npm run bench`.
 */
describe('soak: the box playing and generating every bar', function () {
  const minutes = Number(process.env.GROOVEBOX_SOAK_MINUTES ?? 0);

  before(function () {
    if (!(minutes > 0)) {
      console.log('      (skipped: set GROOVEBOX_SOAK_MINUTES to run the soak; .ci/run does)');
      this.skip();
    }
    if (!fs.existsSync(path.join(MODELS_DIR, BOX_DEFAULT_MODEL, 'manifest.json')))
      throw new Error(`soak: no shipped model at ${path.join(MODELS_DIR, BOX_DEFAULT_MODEL)}`);
    this.timeout((minutes + 2) * 60_000);
  });

  it(`keeps playing, keeps generating, leaks no tensors and no runaway memory`, async function () {
    this.timeout((minutes + 2) * 60_000);
    // The box as it plays on stage: model in its worker, MIDI on the timing thread, the sampled kit on a
    // (silent) AudioContext.
    const result = await soak({ minutes, modelsDir: MODELS_DIR, log: (m) => console.log(`      ${m}`) });
    console.log(`      ${JSON.stringify({ ...result, windows: result.windows.length })}`);
    expect(result.audio).to.equal(true);
    expect(result.timingThreadRestarts, 'the MIDI timing thread never crashed').to.equal(0);
    expect(result.tensorGrowth, 'worker tensors flat').to.equal(0);
    // A loop every bar (2 s at 120 BPM); some requests are superseded or land while one runs.
    expect(result.generations).to.be.greaterThan(((minutes * 60) / 2) * 0.7);
    expect(result.midiTiming.last.events, 'MIDI still flowing at the end').to.be.greaterThan(100);
    expect(result.windows.length, 'a figure per window after warm-up').to.be.at.least(3);
    expect(result.sends).to.equal(result.windows.reduce((n, w) => n + w.midi.events, 0));
    // The audio engine's memory goes back at a full collection every 30 s (mocha runs with --expose-gc).
    expect(result.audioCollections?.runs, 'a full collection every 30 s').to.be.at.least(Math.floor(minutes * 2) - 1);
    // A loose guard against a leak that grows with every generation (the figure itself is in the README).
    expect(result.rssGrowthMB).to.be.lessThan(20);
  });
});
