import fs from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerConfig } from '../../firmware-ts/engine/protocol.js';
import { STEPS } from '../../firmware-ts/pattern/pattern.js';
import { DRUM_COUNT } from '../../firmware-ts/pattern/drums.js';

/**
 * A generation worker that speaks the real protocol but does what a test
 * script says, so the engine's crash and restart paths (and the box's races
 * around them) can be driven without a model: the script is
 * `<modelDir>/script.json`, read again at every start.
 */
export interface WorkerScript {
  /**
   * What loading does: become ready, report a load failure, die, or never
   * answer. A list: one entry per start of a worker on this folder (the last repeats).
   */
  load: Load | Load[];
  /** Milliseconds before the worker says it is ready. */
  loadDelayMs?: number;
  /** A generation with this seed (or any) kills the worker. */
  crashOnSeed?: number | 'any';
  /** Milliseconds a generation takes. */
  generateDelayMs?: number;
}

type Load = 'ok' | 'fail' | 'crash' | 'hang';

export function writeScript(modelDir: string, script: WorkerScript): void {
  fs.mkdirSync(modelDir, { recursive: true });
  fs.writeFileSync(path.join(modelDir, 'script.json'), JSON.stringify(script));
  fs.rmSync(path.join(modelDir, 'starts'), { force: true });
}

/** The pattern every scripted generation returns: a kick on step 0 (so a test can tell it from any other loop). */
export function scriptedHits(): Float32Array {
  const hits = new Float32Array(STEPS * DRUM_COUNT);
  hits[0] = 1;
  return hits;
}

const port = parentPort;
if (port) {
  const { modelDir } = workerData as WorkerConfig;
  const script = JSON.parse(fs.readFileSync(path.join(modelDir, 'script.json'), 'utf8')) as WorkerScript;
  const startsFile = path.join(modelDir, 'starts');
  const start = fs.existsSync(startsFile) ? Number(fs.readFileSync(startsFile, 'utf8')) : 0;
  fs.writeFileSync(startsFile, String(start + 1));
  const loads = Array.isArray(script.load) ? script.load : [script.load];
  const load = loads[Math.min(start, loads.length - 1)];
  const send = (msg: FromWorker) => port.postMessage(msg);
  setTimeout(() => {
    if (load === 'fail') send({ type: 'loadFailed', error: `${modelDir}: scripted load failure` });
    else if (load === 'crash') process.exit(3);
    else if (load === 'hang') setInterval(() => {}, 1000);
    else send({ type: 'ready', model: path.basename(modelDir), backend: 'none', loadMs: script.loadDelayMs ?? 0 });
  }, script.loadDelayMs ?? 0);
  port.on('message', (msg: ToWorker) => {
    if (msg.type !== 'generate') return;
    if (script.crashOnSeed === 'any' || msg.options.seed === script.crashOnSeed) process.exit(4);
    setTimeout(() => {
      const size = STEPS * DRUM_COUNT;
      send({
        type: 'result',
        id: msg.id,
        pattern: {
          hits: scriptedHits(),
          velocities: new Float32Array(size).fill(0.8),
          offsets: new Float32Array(size),
        },
        reconstructions: {},
        ms: script.generateDelayMs ?? 0,
        tensors: 0,
        memory: { heapMB: 0, heapCommittedMB: 0, wasmMB: null },
      });
    }, script.generateDelayMs ?? 0);
  });
}
