/**
 * What generations leave on the generation worker's heap, and what a full
 * collection of that heap costs: loads a model as the worker does (wasm unless
 * told otherwise), generates in rounds, and after each round reads the heap,
 * runs V8's gc() and reads it again. The garbage is what the worker's
 * spare-time collection (engine/spare-time-collector.ts) frees; its time is
 * what that collection takes from a thread idle between bars.
 *
 *   node --single-threaded-gc --expose-gc dist/scripts/measure-generation-garbage.js [--model ag11] [--rounds 4] [--per-round 300] [--backend wasm]
 */
import { getHeapStatistics } from 'node:v8';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../firmware-ts/ml/runtime.js';
import { GrooveModel } from '../firmware-ts/model/generator.js';
import { MODELS_DIR } from '../firmware-ts/paths.js';

const { values } = parseArgs({ options: { model: { type: 'string' }, rounds: { type: 'string' }, 'per-round': { type: 'string' }, backend: { type: 'string' } } });
const rounds = Number(values.rounds ?? 4);
const perRound = Number(values['per-round'] ?? 300);
if (!(Number.isInteger(rounds) && rounds >= 1)) fail(`--rounds: expected a whole number >= 1, got "${values.rounds}"`);
if (!(Number.isInteger(perRound) && perRound >= 1)) fail(`--per-round: expected a whole number >= 1, got "${values['per-round']}"`);
const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) fail('run node with --expose-gc');

const MB = 2 ** 20;
const used = () => getHeapStatistics().used_heap_size / MB;
const backend = await initBackend(values.backend);
const model = GrooveModel.load(path.join(MODELS_DIR, values.model ?? 'ag11'));
model.generate({}, { seed: 0 });
collect();
process.stdout.write(`${model.name} on ${backend}: heap ${used().toFixed(2)} MB after loading and a full collection\n`);
for (let round = 1; round <= rounds; round++) {
  for (let i = 0; i < perRound; i++) model.generate({}, { seed: round * perRound + i });
  const before = used();
  const t0 = performance.now();
  collect();
  const ms = performance.now() - t0;
  process.stdout.write(`round ${round}: ${perRound} generations left the heap at ${before.toFixed(2)} MB; a full collection took ${ms.toFixed(1)} ms and left ${used().toFixed(2)} MB\n`);
}
model.dispose();

function fail(message: string): never {
  process.stderr.write(`measure-generation-garbage: ${message}\n`);
  process.exit(2);
}
