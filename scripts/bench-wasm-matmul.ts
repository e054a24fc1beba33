/**
 * What the wasm BatchMatMul patch buys: one product of the shape the
 * backward pass is made of (64x512, transposed, times 64x1024), timed with
 * tfjs-backend-wasm's own kernel and then with the patch (ml/wasm-matmul-fix.ts).
 *
 *   node dist/scripts/bench-wasm-matmul.js [--reps N]
 *
 * Prints one line per kernel and a JSON line with the medians.
 */
import { parseArgs } from 'node:util';
import { loadWasm, tf } from '../firmware-ts/ml/runtime.js';
import { patchWasmBatchMatMul } from '../firmware-ts/ml/wasm-matmul-fix.js';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '15' } } });
const reps = Number(values.reps);
if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps ${values.reps}: expected a whole number >= 1`);

await loadWasm();
if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
await tf.ready();

const a = tf.randomNormal([64, 512], 0, 1, 'float32', 1);
const b = tf.randomNormal([64, 1024], 0, 1, 'float32', 2);

/** Median milliseconds of aᵀb, after one untimed run (the first call sets things up). */
function medianMs(): { ms: number; sum: number } {
  const times: number[] = [];
  let sum = 0;
  for (let i = 0; i <= reps; i++) {
    const t0 = performance.now();
    const product = tf.matMul(a, b, true, false);
    const data = product.dataSync();
    if (i > 0) times.push(performance.now() - t0);
    sum = data[0] + data[data.length - 1];
    product.dispose();
  }
  times.sort((x, y) => x - y);
  return { ms: times[Math.floor(times.length / 2)], sum };
}

const original = medianMs();
if (!patchWasmBatchMatMul()) throw new Error('the patch did not apply');
const patched = medianMs();
if (Math.abs(original.sum - patched.sum) > 1e-3 * Math.max(1, Math.abs(original.sum))) throw new Error(`the patched kernel computes something else (${original.sum} vs ${patched.sum})`);
const round = (x: number) => Math.round(x * 100) / 100;
process.stdout.write(`64x512^T x 64x1024 on wasm, median of ${reps}: original kernel ${round(original.ms)} ms, patched ${round(patched.ms)} ms\n`);
process.stdout.write(JSON.stringify({ reps, originalMs: round(original.ms), patchedMs: round(patched.ms) }) + '\n');
