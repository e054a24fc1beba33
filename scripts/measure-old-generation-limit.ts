/**
 * How high a worker's old generation fills before V8 collects it, for a few
 * values of the Worker's resourceLimits.maxOldGenerationSizeMb: a worker with
 * the timing thread's 3 MB young generation keeps 2,000 small objects for
 * about a second each (so they are promoted and die in the old generation),
 * and reads old_space every 250 ms. Prints the lowest and highest reading
 * after the first 5 s, per limit; the gap between them is the sawtooth a
 * thread adds to RSS.
 *
 *   node --single-threaded-gc dist/scripts/measure-old-generation-limit.js [--seconds 20] [--limits 0,10,16,24]   (0: V8's default)
 */
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

const { values } = parseArgs({ options: { seconds: { type: 'string' }, limits: { type: 'string' } } });
const seconds = Number(values.seconds ?? 20);
if (!(seconds >= 10)) fail(`--seconds: expected a number >= 10, got "${values.seconds}"`);
const limits = (values.limits ?? '0,10,16,24').split(',').map(Number);
if (limits.some((l) => !(Number.isInteger(l) && l >= 0))) fail(`--limits: expected whole MB >= 0 separated by commas, got "${values.limits}"`);

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { getHeapSpaceStatistics } = require('node:v8');
const oldMB = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_used_size / 2 ** 20;
const ring = new Array(2000).fill(null);
let next = 0;
const churn = setInterval(() => {
  for (let k = 0; k < 2; k++) {
    ring[next] = { values: new Array(60).fill(next) };
    next = (next + 1) % ring.length;
  }
}, 1);
const readings = [];
const reader = setInterval(() => readings.push(oldMB()), 250);
setTimeout(() => {
  clearInterval(churn);
  clearInterval(reader);
  parentPort.postMessage(readings.slice(20));
}, workerData.seconds * 1000);
`;

for (const limit of limits) {
  const resourceLimits = limit ? { maxYoungGenerationSizeMb: 3, maxOldGenerationSizeMb: limit } : { maxYoungGenerationSizeMb: 3 };
  const readings = await new Promise<number[]>((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true, workerData: { seconds }, resourceLimits });
    worker.once('message', (r: number[]) => {
      resolve(r);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
  const low = Math.min(...readings);
  const high = Math.max(...readings);
  process.stdout.write(`maxOldGenerationSizeMb ${limit || 'default'}: old space ${low.toFixed(2)} -> ${high.toFixed(2)} MB (a ${(high - low).toFixed(2)} MB sawtooth)\n`);
}

function fail(message: string): never {
  process.stderr.write(`measure-old-generation-limit: ${message}\n`);
  process.exit(2);
}
