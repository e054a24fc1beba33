import { expect } from 'chai';
import path from 'node:path';
import { GenerationEngine, GenerationSuperseded } from '../firmware-ts/engine/engine.js';
import { initBackend } from '../firmware-ts/ml/runtime.js';
import { Pattern, STEPS } from '../firmware-ts/pattern/pattern.js';
import { fileURLToPath } from 'node:url';
import { armCrash } from './helpers/crashable-generation-worker.js';
import { tempDir, writeTinyModel } from './helpers/tiny-models.js';

const CRASHABLE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'helpers', 'crashable-generation-worker.js');

const kick = Float32Array.from({ length: STEPS }, (_, s) => (s % 8 === 0 ? 1 : 0));
const gestures = { drums: [kick, null, null, null, null, null, null, null, null] };

describe('engine: generation in a worker thread', function () {
  let tmp: ReturnType<typeof tempDir>;
  let modelDir: string;
  let engine: GenerationEngine;

  before(async () => {
    await initBackend();
    tmp = tempDir('engine');
    modelDir = writeTinyModel(tmp.dir, 'ag11', { steps: 5 });
  });

  beforeEach(async () => {
    engine = new GenerationEngine({ modelDir }, CRASHABLE);
    await engine.start();
  });

  afterEach(async () => {
    await engine.stop();
  });

  after(() => tmp.remove());

  it('a result arrives: a Pattern, the reconstruction of the given drum, the worker time and its tensor count', async () => {
    const result = await engine.generate(gestures, { seed: 1 });
    expect(result.pattern).to.be.instanceOf(Pattern);
    expect(result.pattern.hits).to.have.length(STEPS * 9);
    expect(result.reconstructions.drums![0]).to.have.length(STEPS);
    expect(result.ms).to.be.a('number').that.is.at.least(0);
    const again = await engine.generate(gestures, { seed: 1 });
    expect(again.tensors, 'no tensors pile up in the worker').to.equal(result.tensors);
    expect(Array.from(again.pattern.hits), 'deterministic across the thread boundary').to.deep.equal(
      Array.from(result.pattern.hits),
    );
  });

  it('a request arriving while one runs replaces the one waiting: first and last resolve, the middle one is superseded', async () => {
    const first = engine.generate(gestures, { seed: 1 });
    const middle = engine.generate(gestures, { seed: 2 });
    const last = engine.generate(gestures, { seed: 3 });
    const settled = await Promise.allSettled([first, middle, last]);
    expect(settled[0].status).to.equal('fulfilled');
    expect(settled[1].status).to.equal('rejected');
    const reason = (settled[1] as PromiseRejectedResult).reason as GenerationSuperseded;
    expect(reason).to.be.instanceOf(GenerationSuperseded);
    expect(reason.superseded).to.equal(true);
    expect(settled[2].status).to.equal('fulfilled');
    // The last one really is seed 3's loop, not a replay of the first.
    const direct = await engine.generate(gestures, { seed: 3 });
    expect(
      Array.from((settled[2] as PromiseFulfilledResult<{ pattern: Pattern }>).value.pattern.velocities),
    ).to.deep.equal(Array.from(direct.pattern.velocities));
  });

  it('a crashed worker is restarted and the next request succeeds', async () => {
    const crashed = new Promise<Error>((resolve) => engine.once('crashed', resolve));
    const ready = new Promise<void>((resolve) => engine.on('ready', () => resolve()));
    await armCrash(modelDir);
    const lost = await engine.generate(gestures, { seed: 9 }); // dies with the worker, and is served by the restarted one
    expect((await crashed).message).to.match(/exited with code 5/);
    await ready;
    expect(engine.restarts).to.equal(1);
    expect(lost.pattern.hits).to.have.length(STEPS * 9);
    const result = await engine.generate(gestures, { seed: 4 });
    expect(result.pattern.hits).to.have.length(STEPS * 9);
  });

  it('a model folder that does not load rejects start() with the file named', async () => {
    const broken = new GenerationEngine({ modelDir: path.join(tmp.dir, 'missing') });
    let error: Error | null = null;
    try {
      await broken.start();
    } catch (err) {
      error = err as Error;
    } finally {
      await broken.stop();
    }
    expect(error?.message).to.match(/missing: model folder not found/);
  });
});
