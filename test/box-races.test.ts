import { expect } from 'chai';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryLogs } from '../firmware-ts/support/log.js';
import { SlotStore } from '../firmware-ts/box/slots.js';
import { emptyGestureState, setStep } from '../firmware-ts/controls/state.js';
import { Pattern } from '../firmware-ts/pattern/pattern.js';
import { eventually, tempDir, testBox } from './helpers/box-fixtures.js';
import { writeScript, type WorkerScript } from './helpers/scripted-generation-worker.js';

const SCRIPTED = path.join(path.dirname(fileURLToPath(import.meta.url)), 'helpers', 'scripted-generation-worker.js');

/** A models folder whose three models are scripted stand-in workers. */
function scriptedModels(script: WorkerScript): string {
  const dir = tempDir('groovebox-scripted-models-');
  for (const model of ['ag11', 'ag2', 'baseline']) writeScript(path.join(dir, model), script);
  return dir;
}

describe('box: performer actions that overlap', function () {
  it('two model switches in a row: the last one asked for stays, and no loaded worker is left running', async () => {
    const t = await testBox({ modelsDir: scriptedModels({ load: 'ok', loadDelayMs: 100 }), workerFile: SCRIPTED });
    await t.box.boot();
    // A double click on the panel: both arrive before the first model has loaded.
    await Promise.all([t.box.selectModel('ag2'), t.box.selectModel('baseline')]);
    expect(t.box.model).to.equal('baseline');
    expect(t.box.modelLoaded).to.equal(true);
    expect(t.engines).to.have.length(3);
    expect(
      t.engines.slice(0, 2).every((e) => t.stoppedEngines.has(e)),
      'the earlier engines are stopped',
    ).to.equal(true);
    expect(t.stoppedEngines.has(t.engines[2]), 'the one playing is not').to.equal(false);
    await t.close();
  });

  it("a slot loaded while a generation is in flight: the slot's loop stays, the late result does not land", async () => {
    const stateDir = tempDir('groovebox-state-');
    const slotLoop = new Pattern().set(0, 1, 1, 0).set(4, 2, 0.5, 0.3).set(10, 1, 0.7, -0.2);
    const store = await SlotStore.open(stateDir, new MemoryLogs().factory('slots'));
    await store.save(0, {
      gestures: setStep(emptyGestureState(), 1, 0, true),
      loop: slotLoop.toJSON(),
      bpm: 120,
      model: 'ag11',
      temperature: 1,
      seed: 5,
    });
    const t = await testBox({
      modelsDir: scriptedModels({ load: 'ok', generateDelayMs: 300 }),
      workerFile: SCRIPTED,
      stateDir,
    });
    await t.box.boot();
    await t.box.generation;
    const counted = t.box.snapshot().generations;
    const generation = t.box.generate();
    await t.box.loadSlot(0);
    await generation;
    expect(t.box.loop.toJSON()).to.deep.equal(slotLoop.toJSON());
    expect(t.box.snapshot().generations, 'a dropped result is no new loop for the panel').to.equal(counted);
    await t.close();
  });

  it('the tempo knob turned by six detents within one 16th while playing: +6 BPM, shown and saved at once', async () => {
    const t = await testBox({ modelsDir: scriptedModels({ load: 'ok' }), workerFile: SCRIPTED });
    await t.box.boot();
    t.box.play();
    await t.run(t.clock.now() + 0.5);
    const a = t.hw.gpio.pin(23),
      b = t.hw.gpio.pin(24);
    for (let detent = 0; detent < 6; detent++) {
      a.set(1);
      b.set(1);
      a.set(0);
      b.set(0);
    }
    expect(t.box.snapshot().bpm).to.equal(126);
    await t.run(t.clock.now() + 0.5);
    expect(t.box.sequencer.bpm).to.equal(126);
    await t.close();
  });

  it("PLAY during a take's count-in: the take starts on the loop's first downbeat, not on the count-in's guess", async () => {
    const t = await testBox({ modelsDir: tempDir('groovebox-no-models-') });
    await t.box.boot();
    await t.button('rec', true);
    await t.button('rec', false);
    const counted = t.box.capture.recorder.window!.start; // one bar (2 s at 120 BPM) after REC
    await t.run(t.clock.now() + 0.3);
    t.box.play();
    const firstDownbeat = t.box.sequencer.gridTime(0);
    expect(firstDownbeat).to.not.be.closeTo(counted, 0.01);
    expect(t.box.capture.recorder.window!.start).to.be.closeTo(firstDownbeat, 1e-9);
    await t.close();
  });

  it('PLAY on the downbeat after a take recorded while stopped (a hair early): the take is kept', async () => {
    const t = await testBox({ modelsDir: tempDir('groovebox-no-models-') });
    await t.box.boot();
    await t.button('rec', true);
    await t.button('rec', false);
    const window = t.box.capture.recorder.window!;
    await t.run(window.start + 0.01);
    t.box.capture.handleHit({ time: window.start + 0.125 * 3, velocity: 0.8 });
    await t.run(window.end - 0.03);
    t.box.play();
    expect(t.box.capture.state.groove?.hits[3], 'the groove tapped in the take').to.equal(1);
    expect(t.box.capture.recorder.phase()).to.equal('idle');
    await t.close();
  });

  it('a model switch while another model loads stops that load instead of waiting for it', async () => {
    const modelsDir = scriptedModels({ load: 'ok' });
    // A load that never ends: a switch that waited for it would never finish (the test would time out).
    writeScript(path.join(modelsDir, 'ag2'), { load: 'hang' });
    const t = await testBox({ modelsDir, workerFile: SCRIPTED });
    await t.box.boot();
    const slow = t.box.selectModel('ag2');
    await eventually(() => t.box.engineStatus === 'loading', 'ag2 to start loading');
    await t.box.selectModel('baseline');
    await slow;
    expect(t.box.model).to.equal('baseline');
    expect(t.box.modelLoaded).to.equal(true);
    expect(t.logs.count('not loaded', 'error'), 'a stopped load is no error').to.equal(0);
    await t.close();
  });

  it('shutdown while a model switch stops the old worker: no new worker starts after it', async () => {
    const t = await testBox({ modelsDir: scriptedModels({ load: 'ok' }), workerFile: SCRIPTED });
    await t.box.boot();
    // The shutdown comes the moment the switch has begun to stop the old worker: the switch is surely waiting on it.
    let closing: Promise<void> | null = null;
    t.engines[0].once('stopped', () => {
      closing ??= t.close();
    });
    const switching = t.box.selectModel('ag2');
    await switching;
    expect(closing, 'the switch stopped the old engine').to.not.equal(null);
    await (closing as Promise<void> | null);
    expect(t.engines, "only the boot's engine was ever made").to.have.length(1);
  });

  it("the tempo turned while a take waits for the loop's downbeat: the take follows the new tempo", async () => {
    const t = await testBox({ modelsDir: tempDir('groovebox-no-models-') });
    await t.box.boot();
    t.box.play();
    await t.run(t.clock.now() + 1);
    await t.button('rec', true);
    await t.button('rec', false);
    const before = t.box.capture.recorder.window!;
    expect(before.bpm).to.equal(120);
    t.box.setTempo(100);
    const after = t.box.capture.recorder.window!;
    expect(after.bpm).to.equal(100);
    await t.run(after.start - 0.01);
    // The loop really comes round where the take now starts (cell 32 at 100 BPM from the next 16th on).
    expect(t.box.sequencer.nextLoopStart(t.clock.now())).to.be.closeTo(after.start, 1e-9);
    expect(after.start).to.be.greaterThan(before.start);
    await t.close();
  });

  it('the tempo turned while a take records: the take starts again at the next loop on the new grid, and says so', async () => {
    const t = await testBox({ modelsDir: tempDir('groovebox-no-models-') });
    await t.box.boot();
    t.box.play();
    await t.run(t.clock.now() + 1);
    await t.button('rec', true);
    await t.button('rec', false);
    const first = t.box.capture.recorder.window!;
    await t.run(first.start + 1); // a second into the take
    expect(t.box.capture.recorder.phase()).to.equal('recording');
    t.box.setTempo(130);
    const again = t.box.capture.recorder.window!;
    expect(again.bpm, "the take's grid is the new tempo").to.equal(130);
    expect(again.start, 'from the next loop start').to.be.greaterThan(first.start + 1);
    await t.run(again.start - 0.01);
    expect(t.box.sequencer.nextLoopStart(t.clock.now())).to.be.closeTo(again.start, 1e-9);
    expect(t.box.snapshot().status).to.include('tempo changed during the take: it starts again at the next loop');
    // Setting the tempo it already has is no change: the take goes on.
    t.box.setTempo(130);
    expect(t.box.capture.recorder.window!.start).to.equal(again.start);
    await t.close();
  });

  it('a generation worker that cannot be brought back: one error line, and the box plays on as a plain step sequencer', async () => {
    // The boot's model loads; its first generation kills the worker; the restarted one no longer loads.
    const t = await testBox({
      modelsDir: scriptedModels({ load: ['ok', 'fail'], crashOnSeed: 'any' }),
      workerFile: SCRIPTED,
    });
    await t.box.boot();
    await eventually(() => t.box.engineStatus === 'failed', 'the engine to give up');
    expect(t.box.modelLoaded).to.equal(false);
    expect(t.logs.count('model ag11 lost', 'error')).to.equal(1);
    expect(t.box.snapshot().status.some((line) => /no model: .*scripted load failure/.test(line))).to.equal(true);
    // SHIFT + key 1 selects the kick, key 5 puts it on step 5: heard as programmed, as without a model.
    await t.button('shift', true);
    await t.press(0);
    await t.button('shift', false);
    await t.press(4);
    expect(t.box.loop.hit(4, 0)).to.equal(true);
    await t.close();
  });
});
