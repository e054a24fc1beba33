import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GrooveBox, type BoxSettings, type GrooveBoxOptions } from '../../firmware-ts/box/box.js';
import { MemoryLogs } from '../../firmware-ts/support/log.js';
import { SlotStore } from '../../firmware-ts/box/slots.js';
import { DEFAULT_BUTTON_PINS } from '../../firmware-ts/devices/buttons/gpio-buttons.js';
import { GenerationEngine } from '../../firmware-ts/engine/engine.js';
import { BOX_DEFAULT_MODEL, MODEL_CONFIGS } from '../../firmware-ts/model/config.js';
import { FakeMidiPort } from '../../firmware-ts/outputs/midi/fake-midi-port.js';
import { NOTE_MAP_PRESETS } from '../../firmware-ts/outputs/midi/note-map.js';
import { datasetDir, MODELS_DIR } from '../../firmware-ts/paths.js';
import { PanelServer } from '../../firmware-ts/panel/server.js';
import { OfflineClock, SystemClock } from '../../firmware-ts/time/clock.js';
import { fakeHardware } from './fake-hardware.js';

export { fakeHardware };

export const tempDir = (prefix = 'groovebox-box-'): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

let tiny: Promise<string | null> | null = null;

/**
 * A models folder holding a tiny ag11 trained in the test (128 windows, one
 * epoch), once per test run. Null when the dataset is not there, so the
 * caller can skip visibly; GROOVEBOX_REQUIRE_DATA=1 makes that a failure.
 */
export function tinyModelsDir(): Promise<string | null> {
  tiny ??= (async () => {
    const data = datasetDir();
    if (!fs.existsSync(data)) {
      if (process.env.GROOVEBOX_REQUIRE_DATA === '1')
        throw new Error(`dataset not found at ${data} (GROOVEBOX_REQUIRE_DATA=1)`);
      return null;
    }
    // Imported here, so the box tests that only need a temp folder do not load tfjs.
    const { initBackend } = await import('../../firmware-ts/ml/runtime.js');
    const { tinyConfig, trainOnDatasetSample } = await import('./tiny-models.js');
    const backend = await initBackend(process.env.GROOVEBOX_BACKEND ?? 'cpu');
    const models = tempDir('groovebox-models-');
    // A 24-unit decoder and the real batch of 128: one batch trains in seconds on a busy CPU.
    const config = tinyConfig('ag11', { decoderUnits: 24, batchSize: MODEL_CONFIGS.ag11.train.batchSize });
    await trainOnDatasetSample(models, config, { dataDir: data, backend, seed: 3 });
    return models;
  })();
  return tiny;
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Waits (real time, for disk I/O and worker threads) until `condition` holds; fails naming `what` after 10 s. */
export { eventually } from './eventually.js';

export interface TestBox {
  box: GrooveBox;
  clock: OfflineClock;
  port: FakeMidiPort;
  logs: MemoryLogs;
  hw: Awaited<ReturnType<typeof fakeHardware>>;
  engines: GenerationEngine[];
  /** The engines whose stop() has been called (their 'stopped' event). */
  stoppedEngines: Set<GenerationEngine>;
  stateDir: string;
  /** Steps the offline clock to `until`, converting ADC samples at 860/s and letting I/O promises settle. */
  run(until: number): Promise<void>;
  press(key: number): Promise<void>;
  button(name: 'play' | 'rec' | 'mode' | 'shift' | 'generate' | 'page', down: boolean): Promise<void>;
  close(): Promise<void>;
}

/** `workerFile`: a stand-in generation worker (test/helpers/scripted-generation-worker.js) instead of the real one. */
export async function testBox(options: {
  modelsDir: string;
  stateDir?: string;
  settings?: Partial<BoxSettings>;
  workerFile?: string;
  clockInput?: GrooveBoxOptions['clockInput'];
  noteInput?: GrooveBoxOptions['noteInput'];
  microphone?: GrooveBoxOptions['microphone'];
  /** The clock to run on (a fake audio input made before the box needs the box's clock). */
  clock?: OfflineClock;
}): Promise<TestBox> {
  const clock = options.clock ?? new OfflineClock();
  const hw = await fakeHardware(clock);
  const port = new FakeMidiPort('Fake TR-8S', () => clock.now() * 1000);
  const logs = new MemoryLogs();
  const stateDir = options.stateDir ?? tempDir('groovebox-state-');
  const slots = await SlotStore.open(stateDir, logs.factory('slots'));
  const engines: GenerationEngine[] = [];
  const stoppedEngines = new Set<GenerationEngine>();
  const box = new GrooveBox({
    clock,
    devices: hw.devices,
    midi: { open: async () => port, noteMap: NOTE_MAP_PRESETS.gm, sendClock: true, noteLength: 0.05, precise: false },
    audio: null,
    clockInput: options.clockInput,
    noteInput: options.noteInput,
    microphone: options.microphone,
    engineFactory: (config) => {
      const engine = new GenerationEngine(
        { ...config, backend: config.backend ?? process.env.GROOVEBOX_BACKEND ?? 'cpu' },
        options.workerFile,
      );
      engines.push(engine);
      engine.once('stopped', () => stoppedEngines.add(engine));
      return engine;
    },
    slots,
    settings: {
      model: 'ag11',
      temperature: 1,
      switchAt: 'loop',
      stepVelocity: 0.8,
      autoplay: false,
      bpm: 120,
      backend: null,
      modelsDir: options.modelsDir,
      ...options.settings,
    },
    logs: logs.factory,
    random: (() => {
      let s = 0;
      return () => (s = (s * 9301 + 49297) % 233280) / 233280;
    })(),
  });
  const run = async (until: number): Promise<void> => {
    while (clock.now() + 1 / 860 <= until) {
      clock.advance(1 / 860);
      hw.adc.convert();
      await settle();
    }
  };
  return {
    box,
    clock,
    port,
    logs,
    hw,
    engines,
    stoppedEngines,
    stateDir,
    run,
    async press(key) {
      hw.seesaw.press(key);
      hw.seesaw.release(key);
      await run(clock.now() + 0.03);
    },
    async button(name, down) {
      hw.gpio.pin(DEFAULT_BUTTON_PINS[name]).set(down ? 1 : 0);
      await run(clock.now() + 0.03);
    },
    async close() {
      await box.shutdown();
      await hw.close();
    },
  };
}

export interface PanelBox {
  box: GrooveBox;
  server: PanelServer;
  clock: SystemClock;
  /** The panel's address on loopback. */
  url: string;
  close(): Promise<void>;
}

/**
 * The whole box on the panel's devices, as the daemon composes it without
 * hardware (no MIDI out, no audio), on the system clock, its panel served on
 * a free port.
 */
export async function panelBox(
  options: {
    /**
     * 'tiny': an untrained tiny ag11 with the real decoder's skip path (the real worker and decoder, seconds to
     * load). 'shipped': the box's own model from models/, for pictures a performer will read. Either must load and
     * has generated its boot loop when this resolves; without one the box has no model.
     */
    model?: 'tiny' | 'shipped';
    /** Given the server, whose page's Web MIDI input may be one of the sources. */
    noteInput?: (server: PanelServer) => GrooveBoxOptions['noteInput'];
    microphone?: GrooveBoxOptions['microphone'];
    random?: () => number;
  } = {},
): Promise<PanelBox> {
  const stateDir = tempDir('groovebox-panel-state-');
  const dirs = [stateDir];
  const modelsDir =
    options.model === 'shipped'
      ? MODELS_DIR
      : tempDir(options.model ? 'groovebox-panel-models-' : 'groovebox-no-models-');
  if (modelsDir !== MODELS_DIR) dirs.push(modelsDir);
  if (options.model === 'tiny') {
    // Imported here, as in tinyModelsDir: the box tests without a model do not load tfjs.
    const { initBackend } = await import('../../firmware-ts/ml/runtime.js');
    const { writeTinyModel } = await import('./tiny-models.js');
    await initBackend('cpu');
    writeTinyModel(modelsDir, 'ag11', { steps: 0, seed: 7, size: { skip: true } });
  }
  const clock = new SystemClock();
  const logs = new MemoryLogs();
  const server = new PanelServer({ port: 0, clock });
  const box = new GrooveBox({
    clock,
    devices: server.devices,
    midi: null,
    audio: null,
    noteInput: options.noteInput?.(server),
    microphone: options.microphone,
    engineFactory: (config) => new GenerationEngine(config),
    slots: await SlotStore.open(stateDir, logs.factory('slots')),
    settings: {
      model: options.model === 'shipped' ? BOX_DEFAULT_MODEL : 'ag11',
      temperature: 1,
      switchAt: 'loop',
      stepVelocity: 0.8,
      autoplay: false,
      bpm: 120,
      backend: 'cpu',
      modelsDir,
    },
    logs: logs.factory,
    panel: server,
    random: options.random,
  });
  server.onCommand((command) => box.command(command));
  server.setExportProvider(() => box.midiFile());
  const close = async (): Promise<void> => {
    await box.shutdown();
    await server.close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const report = await box.boot();
    if (options.model) {
      if (!report.modelLoaded) throw new Error(`the ${options.model} model did not load: ${report.modelError}`);
      await box.generation;
    }
    return { box, server, clock, url: await server.start(), close };
  } catch (err) {
    // No caller gets a box to close, and a live generation worker would keep the run from ending. The boot's
    // error is the one to report, not one from closing what it left half open.
    await close().catch(() => {});
    throw err;
  }
}

/** Note-ons (status 0x9n, velocity > 0) the fake port received, with their send times in seconds. */
export function noteOns(
  port: FakeMidiPort,
  from = 0,
): { note: number; velocity: number; channel: number; time: number }[] {
  return port.sent
    .filter((m) => (m.bytes[0] & 0xf0) === 0x90 && m.bytes[2] > 0 && m.timeMs / 1000 >= from)
    .map((m) => ({ channel: (m.bytes[0] & 0x0f) + 1, note: m.bytes[1], velocity: m.bytes[2], time: m.timeMs / 1000 }));
}
