import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runEvaluation, type EvaluationResults } from '../firmware-ts/eval/evaluate.js';
import { writeReport } from '../firmware-ts/eval/report.js';
import { initBackend } from '../firmware-ts/ml/runtime.js';
import { MODEL_CONFIGS } from '../firmware-ts/model/config.js';
import { datasetDir } from '../firmware-ts/paths.js';
import { trainOnDatasetSample } from './helpers/tiny-models.js';

// The whole evaluation on a few test windows, with models trained here on a tiny
// sample (the real sizes, 128 windows, one epoch): it checks wiring, shapes and
// determinism, not quality.
describe('eval: end to end on a few windows with tiny models', function () {
  // A guard against a hang, not a speed requirement: training two models and evaluating them is seconds on an idle
  // machine and many times that beside a busy one, and no assertion here is about time.
  this.timeout(15 * 60_000);
  const dataDir = datasetDir();
  let modelsDir = '';
  let first: EvaluationResults;
  const options = () => ({ models: ['baseline', 'ag2', 'ag11'] as const, modelsDir, dataDir, limit: 6, seed: 7, batchSize: 4, log: () => {} });

  before(async function () {
    if (!fs.existsSync(path.join(dataDir, 'info.csv'))) {
      if (process.env.GROOVEBOX_REQUIRE_DATA === '1') throw new Error(`GROOVEBOX_REQUIRE_DATA=1 but the Groove MIDI Dataset is missing: ${path.join(dataDir, 'info.csv')} not found`);
      console.log(`    (skipped: no Groove MIDI Dataset at ${dataDir}; set GROOVEBOX_DATA)`);
      this.skip();
    }
    const backend = await initBackend();
    modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-eval-'));
    // baseline is deliberately not trained: a missing model must be reported and skipped.
    for (const name of ['ag2', 'ag11'] as const) {
      await trainOnDatasetSample(modelsDir, MODEL_CONFIGS[name], { dataDir, backend, seed: 1 });
    }
    first = await runEvaluation({ ...options(), models: [...options().models] });
  });

  after(() => {
    if (modelsDir) fs.rmSync(modelsDir, { recursive: true, force: true });
  });

  it('skips the missing model with a reason and evaluates the others', () => {
    expect(Object.keys(first.models).sort()).to.deep.equal(['ag11', 'ag2']);
    expect(first.meta.skipped.baseline).to.match(/manifest\.json missing/);
    expect(first.meta.testWindows).to.equal(6);
  });

  it('gives a diversity with its interval and the swing and score-F1 results for ag2 and ag11', () => {
    for (const name of ['ag2', 'ag11'] as const) {
      const r = first.models[name]!;
      if (r.diversity.n > 0) {
        expect(r.diversity.mean).to.be.at.least(0);
        expect(r.diversity.ci95[0]).to.be.at.most(r.diversity.mean);
        expect(r.diversity.ci95[1]).to.be.at.least(r.diversity.mean);
      }
      expect(Object.keys(r.swing!)).to.deep.equal(['0.05', '0.2', '0.4']);
      for (const s of Object.values(r.swing!)) {
        expect(s.histogram.reduce((a, b) => a + b, 0)).to.equal(s.n);
        if (s.n > 0) expect(s.absError).to.be.closeTo(Math.abs(s.mean - s.target), 1e-9);
      }
      expect(r.scoreF1).to.be.within(0, 1);
      expect(r.losses.test.loss).to.be.above(0);
      expect(r.losses.validation.loss).to.be.above(0);
    }
    expect(Object.keys(first.models.ag2!.auxiliary!)).to.deep.equal(['score', 'groove']);
    expect(Object.keys(first.models.ag11!.auxiliary!)).to.have.length(11);
    expect(first.models.ag11!.drumControl!.kickSnare.crashHitsPerWindow).to.be.at.least(0);
  });

  it('gives the same numbers for the same seed', async () => {
    const again = await runEvaluation({ ...options(), models: [...options().models] });
    const strip = (r: EvaluationResults) => JSON.stringify({ ...r, meta: { ...r.meta, seconds: 0 }, models: Object.fromEntries(Object.entries(r.models).map(([k, v]) => [k, { ...v, seconds: 0 }])) });
    expect(strip(again)).to.equal(strip(first));
  });

  it('writes results.json with one key per model, results.md and the figures', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-eval-out-'));
    try {
      writeReport(first, out, 'test');
      const json = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
      expect(json.ag2.diversity).to.have.keys(['mean', 'ci95', 'n', 'cellsUsed', 'zeroFilled']);
      expect(json.ag11.swing['0.4']).to.include.keys(['mean', 'std']);
      expect(json).to.not.have.property('baseline');
      const md = fs.readFileSync(path.join(out, 'results.md'), 'utf8');
      expect(md).to.include('## Table 1').and.include('0.222').and.include('baseline not evaluated');
      for (const f of ['table1-diversity.svg', 'figure3-swing.svg']) expect(fs.readFileSync(path.join(out, f), 'utf8')).to.match(/^<svg[\s\S]*<\/svg>\n$/);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
