import { expect } from 'chai';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GenerationEngine } from '../firmware-ts/engine/engine.js';
import { STEPS } from '../firmware-ts/pattern/pattern.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';
import { writeScript } from './helpers/scripted-generation-worker.js';
import { tempDir } from './helpers/tiny-models.js';

const SCRIPTED = path.join(path.dirname(fileURLToPath(import.meta.url)), 'helpers', 'scripted-generation-worker.js');
const gestures = { drums: [Float32Array.from({ length: STEPS }, (_, s) => (s % 8 === 0 ? 1 : 0))] };
const CRASHING_SEED = 13;

/** Resolves on the next `event` (a worker that never answers is caught by mocha's own timeout, not a clock here). */
function next<T>(engine: GenerationEngine, event: 'ready' | 'crashed' | 'failed'): Promise<T> {
  return new Promise((resolve) => engine.once(event, (value: unknown) => resolve(value as T)));
}

describe('engine: a worker that keeps failing is not restarted forever', function () {
  let tmp: ReturnType<typeof tempDir>;
  let modelDir: string;
  let clock: OfflineClock;
  let engine: GenerationEngine;

  beforeEach(async () => {
    tmp = tempDir('engine-restarts');
    modelDir = path.join(tmp.dir, 'scripted');
    writeScript(modelDir, { load: 'ok', crashOnSeed: CRASHING_SEED });
    clock = new OfflineClock();
    engine = new GenerationEngine({ modelDir }, SCRIPTED, { clock });
    await engine.start();
  });

  afterEach(async () => {
    await engine.stop();
    tmp.remove();
  });

  it('a request that kills the worker is retried once on the restarted worker, then refused; the engine works on', async () => {
    const crashes: Error[] = [];
    engine.on('crashed', (e) => crashes.push(e));
    const readyAgain = () => {
      const r = next(engine, 'ready');
      clock.advance(0);
      return r;
    };
    const asked = engine.generate(gestures, { seed: CRASHING_SEED });
    const outcome = asked.then(
      () => null,
      (e: Error) => e,
    );
    await next(engine, 'crashed');
    await readyAgain(); // first restart: at once
    await next(engine, 'crashed'); // the retry kills it again
    const error = await outcome;
    expect(error?.message).to.match(/generation worker crashed: .*exited with code 4/);
    expect(crashes).to.have.length(2);
    // The second restart waits its turn (0.5 s: no generation succeeded in between), then a normal request succeeds.
    const ready = next(engine, 'ready');
    clock.advance(0.49); // a restart that fell due would have started within this call
    expect(engine.restarts, 'not before 0.5 s').to.equal(1);
    clock.advance(0.01);
    await ready;
    const result = await engine.generate(gestures, { seed: 1 });
    expect(result.pattern.hits[0]).to.equal(1);
    expect(engine.restarts).to.equal(2);
  });

  it('a restart whose model no longer loads ends the engine: the waiting request and later ones are refused, "failed" says why', async () => {
    writeScript(modelDir, { load: 'fail' });
    const failed = next<Error>(engine, 'failed');
    const asked = engine.generate(gestures, { seed: CRASHING_SEED }).then(
      () => null,
      (e: Error) => e,
    );
    await next(engine, 'crashed');
    clock.advance(0);
    expect((await failed).message).to.match(/scripted load failure/);
    expect((await asked)?.message).to.match(/generation engine failed: .*scripted load failure/);
    let later: Error | null = null;
    await engine.generate(gestures, { seed: 1 }).catch((e: Error) => {
      later = e;
    });
    expect(later!.message).to.match(/generation engine failed/);
  });

  it('a worker that dies while loading is restarted with growing pauses, and given up after 5 restarts in a row', async () => {
    writeScript(modelDir, { load: 'crash' });
    const failed = next<Error>(engine, 'failed');
    const asked = engine.generate(gestures, { seed: CRASHING_SEED }).then(
      () => null,
      (e: Error) => e,
    );
    const pauses = [0, 0.5, 2, 8, 8];
    for (const [i, pause] of pauses.entries()) {
      await next(engine, 'crashed');
      expect(engine.restarts, `restarts before pause ${i}`).to.equal(i);
      if (pause > 0) {
        // Not a moment before its pause is over.
        clock.advance(pause - 0.01);
        expect(engine.restarts, `restart ${i + 1} waits ${pause} s`).to.equal(i);
      }
      clock.advance(0.01 + pause);
    }
    await next(engine, 'crashed');
    expect((await failed).message).to.match(/crashed 6 times in a row/);
    expect((await asked)?.message).to.match(/generation worker crashed|generation engine failed/);
    expect(engine.restarts).to.equal(5);
  });

  it('stop() while the model loads settles start() instead of leaving it pending', async () => {
    const hanging = new GenerationEngine({ modelDir: path.join(tmp.dir, 'hanging') }, SCRIPTED, { clock });
    writeScript(path.join(tmp.dir, 'hanging'), { load: 'hang' });
    const started = hanging.start().then(
      () => null,
      (e: Error) => e,
    );
    await hanging.stop(); // the worker is spawned and loading (it never becomes ready)
    expect((await started)?.message).to.match(/generation engine stopped/);
  });
});

describe('engine: a model that loads but crashes on every generation', function () {
  it('backs off between restarts and gives up after 5 in a row, though each restarted worker became ready', async () => {
    const tmp = tempDir('engine-crash-always');
    const modelDir = path.join(tmp.dir, 'scripted');
    writeScript(modelDir, { load: 'ok', crashOnSeed: 'any' });
    const clock = new OfflineClock();
    const engine = new GenerationEngine({ modelDir }, SCRIPTED, { clock });
    await engine.start();
    const failed = next<Error>(engine, 'failed');
    const ask = () => void engine.generate(gestures, { seed: 1 }).catch(() => {});
    /** Not a moment before `pause` is over: then the next worker starts (a restart due starts within advance()). */
    const waits = async (pause: number, restartsBefore: number) => {
      clock.advance(pause - 0.01);
      expect(engine.restarts, `restart ${restartsBefore + 1} waits ${pause} s`).to.equal(restartsBefore);
      clock.advance(0.01);
    };
    // Each request is tried twice (once again after the crash it caused); every crash counts.
    let crashed = next(engine, 'crashed');
    ask();
    await crashed; // 1
    crashed = next(engine, 'crashed');
    clock.advance(0);
    await crashed; // 2: the retry
    let ready = next(engine, 'ready');
    await waits(0.5, 1);
    await ready;
    crashed = next(engine, 'crashed');
    ask();
    await crashed; // 3
    crashed = next(engine, 'crashed');
    await waits(2, 2);
    await crashed; // 4: the retry
    ready = next(engine, 'ready');
    await waits(8, 3);
    await ready;
    crashed = next(engine, 'crashed');
    ask();
    await crashed; // 5
    await waits(8, 4);
    expect((await failed).message).to.match(/crashed 6 times in a row/); // 6: the retry, and no more restarts
    expect(engine.restarts).to.equal(5);
    await engine.stop();
    tmp.remove();
  });
});
