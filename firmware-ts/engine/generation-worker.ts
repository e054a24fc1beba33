import { parentPort, workerData } from 'node:worker_threads';
import { initBackend, tf, wasmHeapBytes } from '../ml/runtime.js';
import { getHeapStatistics } from 'node:v8';
import { GrooveModel } from '../model/generator.js';
import type { FromWorker, ToWorker, WorkerConfig } from './protocol.js';
import { normalThreadPriority } from '../time/thread-priority.js';
import { SpareTimeCollector } from './spare-time-collector.js';

/**
 * The generation worker: owns its own tfjs backend and the model, so inference
 * never runs on the thread that sends MIDI.
 */
const port = parentPort;
if (!port) throw new Error('generation-worker must run in a worker thread');
const config = workerData as WorkerConfig;
const send = (msg: FromWorker) => port.postMessage(msg);

async function main(): Promise<void> {
  normalThreadPriority();
  let model: GrooveModel;
  let backend: string;
  const t0 = performance.now();
  try {
    backend = await initBackend(config.backend);
    model = GrooveModel.load(config.modelDir);
    // One warm-up generation so the first performer request is not the slow one.
    model.generate({}, { seed: 0 });
  } catch (err) {
    send({ type: 'loadFailed', error: (err as Error).message });
    return;
  }
  send({ type: 'ready', model: model.name, backend, loadMs: performance.now() - t0 });
  const collector = new SpareTimeCollector({ interval: COLLECT_INTERVAL, now: () => performance.now() / 1000 });
  port!.on('message', (msg: ToWorker) => {
    if (msg.type === 'stop') {
      model.dispose();
      port!.close();
      return;
    }
    const start = performance.now();
    try {
      const out = model.generate(msg.gestures, msg.options);
      const { hits, velocities, offsets } = out.pattern;
      send({
        type: 'result',
        id: msg.id,
        pattern: { hits, velocities, offsets },
        reconstructions: out.reconstructions,
        ms: performance.now() - start,
        tensors: tf.memory().numTensors,
        memory: workerMemory(),
      });
    } catch (err) {
      send({ type: 'failed', id: msg.id, error: (err as Error).message });
    }
    collector.afterWork();
  });
}

/** Seconds between the worker's full collections (see spare-time-collector.ts). */
const COLLECT_INTERVAL = 30;

const MB = 2 ** 20;
function workerMemory() {
  const wasm = wasmHeapBytes();
  const heap = getHeapStatistics();
  return {
    heapMB: heap.used_heap_size / MB,
    heapCommittedMB: heap.total_heap_size / MB,
    wasmMB: wasm === null ? null : wasm / MB,
  };
}

void main();
