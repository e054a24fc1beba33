import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { initBackend, tf } from '../firmware-ts/ml/runtime.js';
import { initParams } from '../firmware-ts/model/params.js';
import { fitLatentBank, usesLatentBank } from '../firmware-ts/train/latent-bank-fit.js';
import { evidenceFor, evidenceLogLikelihood, resample } from '../firmware-ts/model/consistent-latents.js';
import { GrooveModel } from '../firmware-ts/model/generator.js';
import { LATENT_BANK_FILE, decodeLatentBank, encodeLatentBank } from '../firmware-ts/model/latent-bank.js';
import { MODEL_CONFIGS } from '../firmware-ts/model/config.js';
import { drumScores, groove } from '../firmware-ts/pattern/gestures.js';
import { STEPS } from '../firmware-ts/pattern/pattern.js';
import { handfulOfPatterns, splitOf, tempDir, tinyConfig, writeTinyModel } from './helpers/tiny-models.js';

const groovePart = MODEL_CONFIGS.ag11s.factors.find((f) => f.input === 'groove')!;

describe('model: latents for the factors left to the model', function () {
  this.timeout(60_000);
  before(async () => {
    await initBackend();
  });

  it('a hidden groove must have its onsets where the given score has them, and be loud where the accent is', () => {
    const beat = handfulOfPatterns()[1];
    const accentRow = new Float32Array(STEPS);
    accentRow[4] = 1;
    const e = evidenceFor(groovePart, { drums: drumScores(beat), accent: accentRow })!;
    for (let s = 0; s < STEPS; s++) {
      const onset = Array.from({ length: 9 }, (_, d) => beat.hit(s, d)).some(Boolean);
      expect(e.hits[s], `step ${s}`).to.equal(onset ? 1 : 0);
    }
    expect(e.loud![4]).to.equal(1);
    // A candidate whose onsets are the score's is likelier than one that is its opposite.
    const packed = (agree: boolean) =>
      Float32Array.from({ length: STEPS * 3 }, (_, i) =>
        i % 3 === 0 ? ((e.hits[i / 3] === 1) === agree ? 0.9 : 0.1) : i % 3 === 1 ? 0.5 : 0,
      );
    expect(evidenceLogLikelihood(groovePart, packed(true), 0, e)).to.be.greaterThan(
      evidenceLogLikelihood(groovePart, packed(false), 0, e),
    );
    expect(evidenceFor(groovePart, { groove: groove(beat) }), 'nothing said about a given groove').to.equal(null);
  });

  it('resampling picks by weight: a far likelier candidate wins, equal ones by the uniform', () => {
    expect(resample([-50, 0, -50], 0.01)).to.equal(1);
    expect(resample([0, 0, 0, 0], 0.6)).to.equal(2);
    expect(resample([0, 0, 0, 0], 0.999)).to.equal(3);
  });

  it('a bank file round-trips; one of the wrong size is a one-line error naming the file', () => {
    const config = MODEL_CONFIGS.ag11s;
    const width = config.factors.reduce((a, f) => a + f.latent, 0);
    const means = config.factors.map((f, i) => Float32Array.from({ length: 3 * f.latent }, (_, k) => i + k / 100));
    const back = decodeLatentBank(encodeLatentBank({ rows: 3, means }), config, 'latents.bin');
    expect(back.rows).to.equal(3);
    expect(Array.from(back.means[10])).to.deep.equal(Array.from(means[10]));
    expect(() => decodeLatentBank(new Uint8Array(width * 4 + 4), config, '/m/latents.bin')).to.throw(
      /^\/m\/latents\.bin: expected a whole number of rows of 96 float32 latents/,
    );
  });

  it('training fits a bank of one row per window, spread over the split, for the step decoder only', () => {
    const config = tinyConfig('ag11s');
    const params = initParams(config, 2);
    try {
      const set = splitOf(handfulOfPatterns());
      const files = fitLatentBank(config, params, set.patterns, set.count, 4);
      const bank = decodeLatentBank(files[LATENT_BANK_FILE], config, LATENT_BANK_FILE);
      expect(bank.rows).to.equal(4);
      expect(usesLatentBank(config)).to.equal(true);
      expect(usesLatentBank(tinyConfig('ag11'))).to.equal(false);
    } finally {
      tf.dispose([...params.values()]);
    }
  });

  it('a model folder with a bank draws hidden latents from it: the same seed gives another loop than the prior', () => {
    const tmp = tempDir('bank');
    try {
      const dir = writeTinyModel(tmp.dir, 'ag11s');
      const beat = handfulOfPatterns()[2];
      const request = { drums: drumScores(beat) };
      const plain = GrooveModel.load(dir);
      const rows = handfulOfPatterns().map((p) => ({
        drums: drumScores(p),
        groove: groove(p),
        accent: new Float32Array(STEPS),
      }));
      const means = plain.posteriorMeans(rows);
      const before = plain.generate(request, { seed: 3, valueTemperature: 0, keepGiven: true });
      plain.dispose();
      fs.writeFileSync(path.join(dir, LATENT_BANK_FILE), encodeLatentBank({ rows: rows.length, means }));
      const banked = GrooveModel.load(dir);
      const after = banked.generate(request, { seed: 3, valueTemperature: 0, keepGiven: true });
      banked.dispose();
      expect(Array.from(after.pattern.velocities)).not.to.deep.equal(Array.from(before.pattern.velocities));
      fs.writeFileSync(path.join(dir, LATENT_BANK_FILE), Buffer.alloc(10));
      expect(() => GrooveModel.load(dir)).to.throw(new RegExp(`${LATENT_BANK_FILE}: expected a whole number of rows`));
    } finally {
      tmp.remove();
    }
  });
});
