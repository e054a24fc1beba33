import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runEvaluation, type EvaluationResults } from '../firmware-ts/eval/evaluate.js';
import { writeReport } from '../firmware-ts/eval/report.js';
import { initBackend } from '../firmware-ts/ml/runtime.js';
import { datasetDir } from '../firmware-ts/paths.js';
import { writeTinyModel } from './helpers/tiny-models.js';

// The whole evaluation on a few test windows, with tiny models (a few steps on a
// handful of patterns) and the non-neural players fitted on a sample of the train
// split: it checks wiring, shapes and determinism, not quality.
describe('eval: end to end on a few windows with tiny models', function () {
  // A guard against a hang, not a speed requirement: training two models and evaluating them is seconds on an idle
  // machine and many times that beside a busy one, and no assertion here is about time.
  this.timeout(15 * 60_000);
  const dataDir = datasetDir();
  let modelsDir = '';
  let first: EvaluationResults;
  const options = () => ({
    models: ['baseline', 'ag2', 'ag11'],
    modelsDir,
    dataDir,
    limit: 6,
    seed: 7,
    batchSize: 4,
    trainLimit: 200,
    threads: 2,
    log: () => {},
  });

  before(async function () {
    if (!fs.existsSync(path.join(dataDir, 'info.csv'))) {
      if (process.env.GROOVEBOX_REQUIRE_DATA === '1')
        throw new Error(
          `GROOVEBOX_REQUIRE_DATA=1 but the Groove MIDI Dataset is missing: ${path.join(dataDir, 'info.csv')} not found`,
        );
      console.log(`    (skipped: no Groove MIDI Dataset at ${dataDir}; set GROOVEBOX_DATA)`);
      this.skip();
    }
    await initBackend();
    modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-eval-'));
    // baseline is deliberately not written: a missing model must be reported and skipped.
    for (const name of ['ag2', 'ag11'] as const) writeTinyModel(modelsDir, name, { steps: 3, seed: 1 });
    first = await runEvaluation(options());
  });

  after(() => {
    if (modelsDir) fs.rmSync(modelsDir, { recursive: true, force: true });
  });

  it('skips the missing model with a reason and evaluates the others, then the four non-neural players', () => {
    expect(Object.keys(first.players)).to.deep.equal(['ag2', 'ag11', 'quantized', 'jitter', 'template', 'nearest']);
    expect(first.players.nearest.kind).to.equal('non-neural');
    expect(first.meta.trainWindows).to.equal(200);
    expect(first.meta.skipped.baseline).to.match(/manifest\.json missing/);
    expect(first.meta.testWindows).to.equal(6);
  });

  it('gives a diversity with its interval and the swing and score-F1 results for ag2 and ag11', () => {
    for (const name of ['ag2', 'ag11'] as const) {
      const r = first.players[name];
      if (r.diversity.n > 0) {
        expect(r.diversity.mean).to.be.at.least(0);
        expect(r.diversity.ci95[0]).to.be.at.most(r.diversity.mean);
        expect(r.diversity.ci95[1]).to.be.at.least(r.diversity.mean);
      }
      expect(Object.keys(r.swing!)).to.have.members(['0.05', '0.2', '0.4', '-0.2', '0']);
      for (const s of Object.values(r.swing!)) {
        expect(s.histogram.reduce((a, b) => a + b, 0)).to.equal(s.n);
        if (s.n > 0) expect(s.absError).to.be.closeTo(Math.abs(s.mean - s.target), 1e-9);
      }
      expect(r.scoreF1).to.be.within(0, 1);
      expect(r.losses!.test.loss).to.be.above(0);
      expect(r.losses!.validation.loss).to.be.above(0);
    }
    expect(Object.keys(first.players.ag2.auxiliary!)).to.deep.equal(['score', 'groove']);
    expect(Object.keys(first.players.ag11.auxiliary!)).to.have.length(11);
    expect(first.players.ag11.drumControl!.kickSnare.crashHitsPerWindow).to.be.at.least(0);
  });

  it('measures every player on the same footing, and says why a measure is missing', () => {
    const { quantized, template, nearest, ag2, ag11 } = first.players;
    // Forcing the given hits keeps the score exactly, for the models as for the non-neural players.
    for (const r of [ag2, ag11, quantized, template, nearest]) expect(r.measures.score.f1Forced).to.equal(1);
    // The template with the window's own Groove plays its offsets at the loudest drum: the error there is 0.
    expect(template.measures.ownScoreAndGroove!.unforced.hitRecall).to.equal(1);
    expect(template.measures.swing!['0.2'].absError).to.be.closeTo(0, 1e-6);
    expect(template.measures.swing!['-0.2'].offBeatMean).to.be.closeTo(-0.2, 1e-6);
    expect(quantized.measures.swing!['0.4'].offBeatMean).to.equal(0);
    expect(quantized.diversity.mean).to.equal(0);
    expect(quantized.measures.humanize.distribution.offsetStd).to.equal(0);
    expect(ag11.measures.accent!.ratio).to.be.above(0);
    expect(ag2.measures.accent).to.equal(undefined);
    expect(ag2.notes.accent).to.match(/no Accent/);
    expect(quantized.notes.losses).to.match(/GrooveModel/);
    expect(ag11.measures.drumify!.hitsPerWindowPerDrum).to.have.length(9);
    expect(template.measures.ownScoreAndGroove!.windowsBetterThanTemplate).to.equal(undefined);
    expect(nearest.measures.ownScoreAndGroove!.windowsBetterThanTemplate!.compared).to.be.at.most(6);
  });

  it('gives the same numbers for the same seed, whether the models ran in worker threads or on this one', async () => {
    expect(first.players.ag2, 'the first run used two model workers').to.not.equal(undefined);
    const again = await runEvaluation({ ...options(), threads: 1 });
    const strip = (r: EvaluationResults) =>
      JSON.stringify({
        ...r,
        meta: { ...r.meta, seconds: 0, cpuSeconds: 0 },
        players: Object.fromEntries(
          Object.entries(r.players).map(([k, v]) => [k, { ...v, seconds: 0, cpuSeconds: 0 }]),
        ),
      });
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
      expect(json.template.measures.humanize.distribution).to.include.keys([
        'offsetsW1',
        'velocitiesW1',
        'spreadRatio',
      ]);
      const md = fs.readFileSync(path.join(out, 'results.md'), 'utf8');
      expect(md).to.include('## Table 1').and.include('0.222').and.include('baseline not evaluated');
      expect(md).to.include('### Own Score and own Groove given').and.include('### Drumify').and.include('| nearest |');
      for (const f of ['table1-diversity.svg', 'figure3-swing.svg'])
        expect(fs.readFileSync(path.join(out, f), 'utf8')).to.match(/^<svg[\s\S]*<\/svg>\n$/);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
