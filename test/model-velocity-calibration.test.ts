import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { wasserstein1 } from '../firmware-ts/eval/metrics.js';
import { initBackend } from '../firmware-ts/ml/runtime.js';
import { drawSteps } from '../firmware-ts/model/draw-notes.js';
import { GrooveModel } from '../firmware-ts/model/generator.js';
import { mulberry32 } from '../firmware-ts/model/random.js';
import { STEP_OUTPUT_WIDTH } from '../firmware-ts/model/step-decoder.js';
import {
  calibrateVelocity,
  decodeVelocityCalibration,
  encodeVelocityCalibration,
  fitVelocityCalibration,
  MIN_CALIBRATION_NOTES,
  VELOCITY_CALIBRATION_FILE,
  type VelocityCalibration,
} from '../firmware-ts/model/velocity-calibration.js';
import { DRUM_COUNT } from '../firmware-ts/pattern/drums.js';
import { drumScores, groove } from '../firmware-ts/pattern/gestures.js';
import { STEPS } from '../firmware-ts/pattern/pattern.js';
import { tensorDataToPattern } from '../firmware-ts/pattern/tensor-layout.js';
import { fitModelVelocityCalibration } from '../firmware-ts/train/velocity-calibration-fit.js';
import { fitGenerationFiles } from '../firmware-ts/train/generation-files.js';
import { initParams } from '../firmware-ts/model/params.js';
import { tf } from '../firmware-ts/ml/runtime.js';
import { handfulOfPatterns, splitOf, tempDir, tinyConfig, writeTinyModel } from './helpers/tiny-models.js';

/** `n` velocities spread evenly over [from, to]. */
const spread = (n: number, from: number, to: number) =>
  Array.from({ length: n }, (_, k) => from + ((to - from) * k) / (n - 1));
const onlySnare = (values: number[]) => Array.from({ length: DRUM_COUNT }, (_, d) => (d === 1 ? values : []));

describe('model: velocity calibration (the drummers\u2019 dynamics where no groove is given)', function () {
  this.timeout(60_000);
  before(async () => {
    await initBackend();
  });

  it('maps the model\u2019s quantiles onto the drummers\u2019, keeping the order of the notes', () => {
    const calibration = fitVelocityCalibration(onlySnare(spread(1000, 0.2, 0.6)), onlySnare(spread(1000, 0.4, 0.9)));
    expect(calibration.drums[0], 'a drum with no notes keeps its velocities').to.equal(null);
    expect(calibrateVelocity(calibration, 0, 0.37)).to.equal(0.37);
    expect(calibrateVelocity(calibration, 1, 0.2)).to.be.closeTo(0.4, 1e-4);
    expect(calibrateVelocity(calibration, 1, 0.4)).to.be.closeTo(0.65, 1e-4);
    expect(calibrateVelocity(calibration, 1, 0.6)).to.be.closeTo(0.9, 1e-4);
    const grid = spread(200, 0, 1).map((v) => calibrateVelocity(calibration, 1, v));
    grid.forEach((v, k) => k === 0 || expect(v).to.be.at.least(grid[k - 1]));
    // Beyond the fitted range a note moves as the end did, and stays a velocity.
    expect(calibrateVelocity(calibration, 1, 0.1)).to.be.closeTo(0.3, 1e-4);
    expect(calibrateVelocity(calibration, 1, 0.95)).to.equal(1);
    expect(calibrateVelocity(calibration, 1, 0)).to.be.at.least(1 / 127);
  });

  it('the same distribution on both sides is (nearly) no change; too few notes is none', () => {
    const rand = mulberry32(5);
    const draw = (n: number) => Array.from({ length: n }, () => 0.2 + 0.6 * rand() * rand());
    const calibration = fitVelocityCalibration(onlySnare(draw(20000)), onlySnare(draw(20000)));
    for (const v of [0.25, 0.4, 0.6]) expect(calibrateVelocity(calibration, 1, v)).to.be.closeTo(v, 0.02);
    const few = fitVelocityCalibration(
      onlySnare(spread(MIN_CALIBRATION_NOTES - 1, 0.2, 0.6)),
      onlySnare(spread(1000, 0.4, 0.9)),
    );
    expect(few.drums[1]).to.equal(null);
  });

  it('repeated model velocities (clipped notes) become one point, so the map stays a function the file accepts', () => {
    const model = [...spread(600, 0.3, 0.8), ...new Array(400).fill(1)];
    const calibration = fitVelocityCalibration(onlySnare(model), onlySnare(spread(1000, 0.2, 0.95)));
    const map = calibration.drums[1]!;
    map.model.forEach((x, k) => k === 0 || expect(x).to.be.greaterThan(map.model[k - 1]));
    const back = decodeVelocityCalibration(encodeVelocityCalibration(calibration), 'c.json');
    expect(back).to.deep.equal(calibration);
  });

  it('a drum the model always plays at one velocity, points the file would round alike, and junk values fit a file that reads back', () => {
    const constant = fitVelocityCalibration(onlySnare(new Array(500).fill(1)), onlySnare(spread(500, 0.2, 0.9)));
    expect(constant.drums[1], 'one point is no map').to.equal(null);
    const close = fitVelocityCalibration(
      onlySnare(spread(1000, 0.123451, 0.123459).concat(spread(1000, 0.5, 0.6))),
      onlySnare(spread(2000, 0.2, 0.9)),
    );
    const junk = fitVelocityCalibration(
      onlySnare([...spread(1000, 0.2, 0.6), NaN, Infinity, -3, 7]),
      onlySnare([...spread(1000, 0.3, 0.7), NaN]),
    );
    for (const calibration of [constant, close, junk])
      expect(decodeVelocityCalibration(encodeVelocityCalibration(calibration), 'c.json')).to.deep.equal(calibration);
    const map = junk.drums[1]!;
    expect(Math.min(...map.model)).to.be.at.least(0);
    expect(Math.max(...map.model)).to.be.at.most(1);
  });

  it('a bad file is one line naming the file, the key, the value and what was expected', () => {
    const ok = fitVelocityCalibration(onlySnare(spread(1000, 0.2, 0.6)), onlySnare(spread(1000, 0.4, 0.9)));
    expect(() => decodeVelocityCalibration('{', '/m/c.json')).to.throw(/^\/m\/c\.json: not valid JSON \(/);
    expect(() => decodeVelocityCalibration('{"drums":[]}', '/m/c.json')).to.throw(
      '/m/c.json: drums = []: expected a list of 9 entries, one per drum',
    );
    const falling = structuredClone(ok);
    falling.drums[1]!.model.reverse();
    expect(() => decodeVelocityCalibration(JSON.stringify(falling), '/m/c.json')).to.throw(
      /^\/m\/c\.json: drums\[1\] = \{"model":\[.*: expected model rising from point to point$/,
    );
    const loud = structuredClone(ok);
    loud.drums[1]!.real[3] = 2;
    expect(() => decodeVelocityCalibration(JSON.stringify(loud), '/m/c.json')).to.throw(
      '/m/c.json: drums[1].real[3] = 2: expected a velocity 0..1',
    );
  });

  it('drawing notes: velocities go through the map where no groove is given, never over a tapped groove', () => {
    // Every drum's velocities raised to the top: the map's effect cannot be mistaken.
    const calibration: VelocityCalibration = {
      drums: Array.from({ length: DRUM_COUNT }, () => ({ model: [0, 1], real: [0.9, 1] })),
    };
    const raw = new Float32Array(STEPS * STEP_OUTPUT_WIDTH);
    for (let t = 0; t < STEPS; t++)
      for (let d = 0; d < DRUM_COUNT; d++) raw[t * STEP_OUTPUT_WIDTH + DRUM_COUNT + d] = 0.3 + 0.01 * d;
    const beat = handfulOfPatterns()[0];
    const velocities = (request: object, options: object, map: VelocityCalibration | null) => {
      const p = tensorDataToPattern(
        drawSteps(raw, [request], { keepGiven: true, valueTemperature: 0, ...options }, mulberry32(1), {
          calibration: map,
        }),
        0,
      );
      return Array.from(p.velocities).filter((_, i) => p.hits[i] > 0.5);
    };
    const scoreOnly = { drums: drumScores(beat) };
    const plain = velocities(scoreOnly, {}, null);
    expect(plain.length).to.be.greaterThan(0);
    expect(plain.every((v) => v < 0.4)).to.equal(true);
    expect(velocities(scoreOnly, {}, calibration).every((v) => v >= 0.9)).to.equal(true);
    expect(velocities(scoreOnly, { calibrateVelocities: false }, calibration)).to.deep.equal(plain);
    const tapped = { drums: drumScores(beat), groove: groove(beat) };
    expect(velocities(tapped, {}, calibration)).to.deep.equal(velocities(tapped, {}, null));
  });

  it('fitted on a model\u2019s own output, the map brings its velocities to the windows\u2019; a model folder plays it', () => {
    const tmp = tempDir('calibration');
    try {
      const dir = writeTinyModel(tmp.dir, 'ag11s');
      const model = GrooveModel.load(dir);
      const windows = Array.from({ length: 48 }, () => handfulOfPatterns()).flat();
      const set = splitOf(windows);
      const calibration = fitModelVelocityCalibration(model, set.patterns, set.count, set.count);
      const snare = (patterns: { hits: Float32Array; velocities: Float32Array }[]) =>
        patterns.flatMap((p) => Array.from(p.velocities).filter((_, i) => p.hits[i] > 0.5 && i % DRUM_COUNT === 1));
      const request = (p: (typeof windows)[number]) => ({ drums: drumScores(p) });
      const before = snare(
        model.generateBatch(windows.slice(0, 64).map(request), { seed: 9, keepGiven: true }).map((g) => g.pattern),
      );
      model.useVelocityCalibration(calibration);
      const after = snare(
        model.generateBatch(windows.slice(0, 64).map(request), { seed: 9, keepGiven: true }).map((g) => g.pattern),
      );
      model.dispose();
      const real = snare(windows.slice(0, 64));
      expect(wasserstein1(after, real)).to.be.lessThan(wasserstein1(before, real) / 2);

      fs.writeFileSync(path.join(dir, VELOCITY_CALIBRATION_FILE), encodeVelocityCalibration(calibration));
      const loaded = GrooveModel.load(dir);
      const played = snare(
        loaded.generateBatch(windows.slice(0, 64).map(request), { seed: 9, keepGiven: true }).map((g) => g.pattern),
      );
      loaded.dispose();
      expect(played).to.deep.equal(after);
      fs.writeFileSync(path.join(dir, VELOCITY_CALIBRATION_FILE), '{"drums":3}');
      expect(() => GrooveModel.load(dir)).to.throw(new RegExp(`${VELOCITY_CALIBRATION_FILE}: drums = 3: expected`));
      // What `groovebox calibrate` loads to refit a bad file.
      GrooveModel.load(dir, { calibration: false }).dispose();
    } finally {
      tmp.remove();
    }
  });

  it('training ships the bank and the calibration with the step decoder\u2019s weights, nothing with the paper\u2019s', () => {
    for (const name of ['ag11s', 'ag11'] as const) {
      const config = tinyConfig(name);
      const params = initParams(config, 2);
      try {
        const set = splitOf(handfulOfPatterns());
        const files = Object.keys(fitGenerationFiles(config, params, set.patterns, set.count)).sort();
        expect(files, name).to.deep.equal(name === 'ag11s' ? ['latents.bin', VELOCITY_CALIBRATION_FILE] : []);
      } finally {
        tf.dispose([...params.values()]);
      }
    }
  });
});
