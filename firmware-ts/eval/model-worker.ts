/**
 * One model's whole evaluation on a core of its own: the evaluation runs one of these
 * per core (wasm runs one thread per backend), each with its own backend and its own
 * copy of the windows, and hands it model names one at a time.
 */
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { loadCache } from '../dataset/cache.js';
import { initBackend } from '../ml/runtime.js';
import type { GenerateOptions } from '../model/generator.js';
import { evaluatePlayer, evaluationContext, type EvaluatedPlayer } from './player-measures.js';
import { loadModelPlayer } from './player.js';
import type { Reference } from './reference.js';

export interface ModelWorkerData {
  backend: string;
  dataDir: string;
  modelsDir: string;
  limit?: number;
  seed: number;
  batchSize: number;
  reference: Reference;
  generateOptions?: Partial<GenerateOptions>;
}

export type ModelWorkerMessage =
  | { kind: 'ready' }
  | { kind: 'log'; text: string }
  | { kind: 'done'; name: string; evaluated: EvaluatedPlayer }
  | { kind: 'failed'; name: string; error: string };

const port = parentPort;
if (!port) throw new Error('model-worker must run in a worker thread');
const data = workerData as ModelWorkerData;
const send = (m: ModelWorkerMessage) => port.postMessage(m);
const log = (text: string) => send({ kind: 'log', text });

await initBackend(data.backend);
const cache = loadCache(data.dataDir, () => {});
const { ctx, realTest } = evaluationContext(cache, data);
send({ kind: 'ready' });
port.on('message', (name: string | null) => {
  if (name === null) {
    port.close();
    return;
  }
  try {
    const player = loadModelPlayer(path.join(data.modelsDir, name), data.generateOptions);
    try {
      send({
        kind: 'done',
        name,
        evaluated: evaluatePlayer(player, ctx, cache, realTest, data.reference, { ...data, log }),
      });
    } finally {
      player.dispose();
    }
  } catch (err) {
    send({ kind: 'failed', name, error: (err as Error).message });
  }
});
