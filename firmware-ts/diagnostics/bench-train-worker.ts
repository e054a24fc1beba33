/**
 * One backend's half of `groovebox bench train`, in its own worker thread: tfjs
 * picks one backend per thread, so wasm and cpu can be measured side by side in one run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend, tf } from '../ml/runtime.js';
import { MODEL_CONFIGS, type ModelName } from '../model/config.js';
import { gestureArrays } from '../pattern/gesture-layout.js';
import { disposeParams, initParams, paramCount } from '../model/params.js';
import { mulberry32 } from '../model/random.js';
import { DRUM_COUNT } from '../pattern/drums.js';
import { Pattern, STEPS } from '../pattern/pattern.js';
import { PATTERN_TENSOR_SIZE, patternToTensorData } from '../pattern/tensor-layout.js';
import { Adam } from '../train/adam.js';
import { trainStep } from '../train/trainer.js';

export interface TrainBenchJob {
  backend: string;
  models: ModelName[];
  steps: number;
  batch: number;
}

export interface TrainBenchRow {
  model: ModelName;
  backend: string;
  weights: number;
  batch: number;
  steps: number;
  step_ms_median: number;
  step_ms_mean: number;
  sequences_per_s: number;
}

/**
 * Step time does not depend on what the patterns hold, only on their shape, so the
 * benchmark trains on seeded random beats (about the dataset's density) and needs no dataset.
 */
function randomPatterns(count: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const data = new Float32Array(count * PATTERN_TENSOR_SIZE);
  for (let k = 0; k < count; k++) {
    const p = new Pattern();
    for (let s = 0; s < STEPS; s++)
      for (let d = 0; d < DRUM_COUNT; d++) if (rand() < 0.1) p.set(s, d, rand(), rand() * 2 - 1);
    patternToTensorData(p, data, k * PATTERN_TENSOR_SIZE);
  }
  return data;
}

async function main(job: TrainBenchJob): Promise<TrainBenchRow[]> {
  const backend = await initBackend(job.backend);
  const rows: TrainBenchRow[] = [];
  const patterns = randomPatterns(job.batch, 1);
  const set = { patterns, gestures: gestureArrays(patterns), count: job.batch };
  const indices = Array.from({ length: job.batch }, (_, k) => k);
  for (const name of job.models) {
    const config = { ...MODEL_CONFIGS[name], train: { ...MODEL_CONFIGS[name].train, batchSize: job.batch } };
    const params = initParams(config, 1);
    const adam = new Adam(params);
    trainStep(params, adam, config, set, indices, 0, 1e-3); // warm-up: kernels set up, JIT warm
    const times: number[] = [];
    for (let k = 0; k < job.steps; k++) {
      const start = performance.now();
      trainStep(params, adam, config, set, indices, k + 1, 1e-3);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    rows.push({
      model: name,
      backend,
      weights: paramCount(params),
      batch: job.batch,
      steps: job.steps,
      step_ms_median: Math.round(median),
      step_ms_mean: Math.round(mean),
      sequences_per_s: Number(((job.batch * 1000) / median).toFixed(1)),
    });
    disposeParams(params);
    tf.dispose([...adam.m.values(), ...adam.v.values()]);
  }
  return rows;
}

if (parentPort) {
  main(workerData as TrainBenchJob).then(
    (rows) => parentPort!.postMessage({ rows }),
    (err: Error) => parentPort!.postMessage({ error: err.message }),
  );
}
