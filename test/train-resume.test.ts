import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';
import { ModelFileError, readModelFiles, writeModelFiles } from '../firmware-ts/ml/model-io.js';
import { initBackend, tf } from '../firmware-ts/ml/runtime.js';
import type { ModelConfig } from '../firmware-ts/model/config.js';
import { datasetDir } from '../firmware-ts/paths.js';
import { train, type TrainOptions } from '../firmware-ts/train/trainer.js';
import { tempDir, tinyConfig } from './helpers/tiny-models.js';

/** Expects `run` to reject with one ModelFileError naming `file`, on one line, and to leave no tensor behind. */
async function expectRefused(run: () => Promise<unknown>, file: string, reason: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  let caught: unknown;
  try {
    await run();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'an error').to.be.instanceOf(ModelFileError);
  const err = caught as ModelFileError;
  expect(err.file).to.equal(file);
  expect(err.message).to.match(reason);
  expect(err.message, 'one line').to.not.include('\n');
  expect(tf.memory().numTensors, 'tensors left behind').to.equal(before);
}

describe('train: --resume checks the checkpoint against the run', function () {
  const data = datasetDir();
  const config = tinyConfig('ag2', { batchSize: 32 });
  let backend: Awaited<ReturnType<typeof initBackend>>;
  let tmp: ReturnType<typeof tempDir>;
  let checkpoint: string;
  // 64 windows, two batches an epoch.
  const run = (overrides: Partial<TrainOptions> = {}) =>
    train({
      config,
      outDir: tmp.dir,
      dataDir: data,
      epochs: 1,
      maxMinutes: 10,
      resume: true,
      seed: 3,
      backend,
      checkpointSeconds: 3600,
      limit: 64,
      log: () => {},
      ...overrides,
    });

  before(async function () {
    if (!fs.existsSync(path.join(data, 'info.csv'))) {
      if (process.env.GROOVEBOX_REQUIRE_DATA === '1')
        throw new Error(`dataset not found at ${data} (GROOVEBOX_REQUIRE_DATA=1)`);
      console.log(`      (skipped: no dataset at ${data}; set GROOVEBOX_DATA)`);
      this.skip();
    }
    backend = await initBackend();
  });

  beforeEach(async () => {
    tmp = tempDir('resume');
    checkpoint = path.join(tmp.dir, 'checkpoint');
    await run({ resume: false });
  });

  afterEach(() => tmp.remove());

  it('a checkpoint of another model config is refused, naming its config.json and the first difference', async () => {
    const file = path.join(checkpoint, 'config.json');
    await expectRefused(
      () => run({ config: tinyConfig('ag11', { batchSize: 32 }), epochs: 2 }),
      file,
      /name is "ag2", this run has "ag11": .*--model/,
    );
    const wider: ModelConfig = tinyConfig('ag2', { batchSize: 32, decoderUnits: 24 });
    await expectRefused(
      () => run({ config: wider, epochs: 2 }),
      file,
      new RegExp(`decoder\\.units is 16, this run has 24: .*remove ${checkpoint}`),
    );
    // A checkpoint trained with ag2's own timing weight, resumed with another: the message names the flag to give.
    await expectRefused(
      () => run({ config: { ...config, loss: { ...config.loss, timingWeight: 10 } }, epochs: 2 }),
      file,
      /loss\.timingWeight is 30, this run has 10: .*--timing-weight/,
    );
  });

  it('a checkpoint with a weight missing is refused, naming its manifest.json and the weight', async () => {
    const files = readModelFiles(checkpoint);
    files.tensors.get('adam.m/dec.out.b')!.dispose();
    files.tensors.delete('adam.m/dec.out.b');
    const state = fs.readFileSync(path.join(checkpoint, 'state.json'), 'utf8');
    writeModelFiles(checkpoint, files.config, files.tensors, { kind: 'checkpoint' }, { 'state.json': state });
    tf.dispose([...files.tensors.values()]);
    await expectRefused(
      () => run({ epochs: 2 }),
      path.join(checkpoint, 'manifest.json'),
      /weight adam\.m\/dec\.out\.b missing/,
    );
  });

  it('a bad state.json is refused in one line naming it', async () => {
    const file = path.join(checkpoint, 'state.json');
    const good = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, '{"epoch": 1,');
    await expectRefused(() => run({ epochs: 2 }), file, /unreadable checkpoint state/);
    fs.writeFileSync(file, JSON.stringify({ epoch: 'one' }));
    await expectRefused(() => run({ epochs: 2 }), file, /epoch = "one": expected a whole number/);
    fs.writeFileSync(file, JSON.stringify({ ...good, epochSums: 5 }));
    await expectRefused(() => run({ epochs: 2 }), file, /epochSums = 5: expected an object$/);
    fs.writeFileSync(file, JSON.stringify({ ...good, epochSums: { batches: 1, sums: { loss: 'x' } } }));
    await expectRefused(() => run({ epochs: 2 }), file, /epochSums\.sums\.loss = "x": expected a number$/);
  });

  it('a checkpoint trained on other data (dataset hash, number of windows) is refused, naming state.json', async () => {
    const file = path.join(checkpoint, 'state.json');
    const state = JSON.parse(fs.readFileSync(file, 'utf8'));
    await expectRefused(() => run({ epochs: 2, limit: 32 }), file, /trainWindows is 64, this run has 32/);
    fs.writeFileSync(file, JSON.stringify({ ...state, cacheHash: '0000000000000000' }));
    await expectRefused(
      () => run({ epochs: 2 }),
      file,
      /cacheHash is 0000000000000000, the dataset's windows now hash to [0-9a-f]{16}: the data changed/,
    );
  });

  it("an epoch's log row written just before a kill (its checkpoint not yet saved) is not in train-log.csv twice", async () => {
    const logFile = path.join(tmp.dir, 'train-log.csv');
    const [header, first] = fs.readFileSync(logFile, 'utf8').trim().split('\n');
    // Epoch 2 ran, logged its row, and was killed before its checkpoint: the resumed run does epoch 2 again.
    fs.appendFileSync(logFile, `2,${first.split(',').slice(1).join(',')}\n`);
    await run({ epochs: 2 });
    const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n');
    expect(lines[0]).to.equal(header);
    expect(lines.slice(1).map((row) => row.split(',')[0])).to.deep.equal(['1', '2']);
    expect(lines[1]).to.equal(first);
  });

  it('too few windows for one batch is refused before any weight is made (no tensors left behind)', async () => {
    const before = tf.memory().numTensors;
    let caught: Error | null = null;
    try {
      await run({ resume: false, limit: 16, outDir: path.join(tmp.dir, 'small') });
    } catch (err) {
      caught = err as Error;
    }
    expect(caught?.message).to.equal('only 16 training windows: fewer than one batch of 32');
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('a stop asked for between steps (SIGINT, SIGTERM) saves a checkpoint at that step, and --resume goes on from it', async () => {
    fs.rmSync(tmp.dir, { recursive: true, force: true });
    let steps = 0;
    const stopped = await run({ resume: false, stopRequested: () => ++steps >= 1 });
    expect(stopped.globalStep, 'stopped after the first step').to.equal(1);
    const state = JSON.parse(fs.readFileSync(path.join(tmp.dir, 'checkpoint', 'state.json'), 'utf8'));
    expect([state.globalStep, state.batchInEpoch]).to.deep.equal([1, 1]);
    const finished = await run();
    expect([finished.epoch, finished.globalStep]).to.deep.equal([1, 2]);
  });

  it("a resumed epoch's train-log row averages all its batches, as the run without the stop does", async () => {
    const logRow = () => fs.readFileSync(path.join(tmp.dir, 'train-log.csv'), 'utf8').trim().split('\n')[1].split(',');
    const straight = logRow(); // beforeEach's run: one epoch of two batches, no stop
    fs.rmSync(tmp.dir, { recursive: true, force: true });
    let steps = 0;
    await run({ resume: false, stopRequested: () => ++steps >= 1 });
    await run();
    const resumed = logRow();
    // Every column but the minutes (column 2), which differ between runs.
    const withoutMinutes = (row: string[]) => row.filter((_, i) => i !== 2);
    expect(withoutMinutes(resumed)).to.deep.equal(withoutMinutes(straight));
  });

  it('a matching checkpoint resumes; one saved before the first validation still ships the best model', async () => {
    const resumed = await run({ epochs: 2 });
    expect(resumed.epoch).to.equal(2);
    expect(resumed.globalStep).to.equal(4);
    // A fresh run stopped by its time budget after one batch: no validation yet, so no best loss (JSON null).
    fs.rmSync(tmp.dir, { recursive: true });
    await run({ resume: false, maxMinutes: 0 });
    expect(fs.existsSync(path.join(tmp.dir, 'manifest.json')), 'no model before the first validation').to.equal(false);
    const finished = await run();
    expect(finished.bestEpoch).to.equal(1);
    const shipped = readModelFiles(tmp.dir);
    tf.dispose([...shipped.tensors.values()]);
    expect(shipped.manifest.epochs).to.equal(1);
  });
});

describe('train: the command stopped by a signal', function () {
  const data = datasetDir();
  const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'firmware-ts', 'cli', 'main.js');
  let tmp: ReturnType<typeof tempDir>;
  let running: ChildProcess | undefined;

  before(function () {
    if (!fs.existsSync(path.join(data, 'info.csv'))) {
      if (process.env.GROOVEBOX_REQUIRE_DATA === '1')
        throw new Error(`dataset not found at ${data} (GROOVEBOX_REQUIRE_DATA=1)`);
      console.log(`      (skipped: no dataset at ${data}; set GROOVEBOX_DATA)`);
      this.skip();
    }
  });
  beforeEach(() => {
    tmp = tempDir('train-signal');
  });
  afterEach(() => {
    if (running && running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
    tmp.remove();
  });

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} during a step: that step finishes, a checkpoint is saved, and the exit code is ${code}`, async () => {
      const child = spawn(
        process.execPath,
        [MAIN, 'train', '--model', 'ag2', '--limit', '128', '--threads', '1', '--out', tmp.dir, '--data', data],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      running = child;
      let out = '';
      child.stderr.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      // The line before the first step: the signal is queued while a step runs and heard right after it.
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          out += d;
          if (/ag2: \d+ weights/.test(out)) resolve();
        });
        void exited.then((c) => reject(new Error(`exited ${c} before training: ${out}`)));
      });
      child.kill(signal);
      expect(await exited, out).to.equal(code);
      expect(out).to.match(new RegExp(`${signal}: stopping after this step`));
      // One batch an epoch (128 windows): on a slow machine the signal may land in a later step, never mid-step.
      const stoppedAt = /stopped at epoch (\d+), batch 1; checkpoint saved/.exec(out);
      expect(stoppedAt, out).to.not.equal(null);
      const state = JSON.parse(fs.readFileSync(path.join(tmp.dir, 'checkpoint', 'state.json'), 'utf8'));
      expect(state.globalStep).to.equal(Number(stoppedAt![1]));
    });
  }
});
