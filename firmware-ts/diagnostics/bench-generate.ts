/**
 * Generation latency at batch 1, the figure the box lives by (issue 3, section 6):
 * the model is loaded once, then `n` 2-bar loops are generated one at a time from a
 * fixed, repeating set of gestures. Used by `groovebox bench generate`.
 */
import path from 'node:path';
import { initBackend, tf } from '../ml/runtime.js';
import { GrooveModel } from '../model/generator.js';
import type { Gestures } from '../pattern/gesture-layout.js';
import { accent, groove } from '../pattern/gestures.js';
import { DRUM_COUNT } from '../pattern/drums.js';
import { Pattern, STEPS } from '../pattern/pattern.js';

export interface GenerateBenchOptions {
  modelDir: string;
  n: number;
  /** Generations before timing starts (the first ones pack weights and warm the JIT). */
  warmup: number;
  backend?: string;
  /**
   * A full garbage collection before each timed generation, untimed (needs node --expose-gc):
   * the same loop with the collector's pauses kept out, to see how much of the tail is them.
   */
  collectBetween?: boolean;
}

export interface GenerateBenchResult {
  model: string;
  model_dir: string;
  backend: string;
  n: number;
  warmup: number;
  backend_init_ms: number;
  /** GrooveModel.load: read, checksum and turn the files into tensors. */
  load_ms: number;
  /** The first generation after loading (wasm packs the decoder weights then). */
  first_generation_ms: number;
  min_ms: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
  tensors_before: number;
  tensors_after: number;
  gesture_sets: string[];
  /** Whether a collection ran before each timed generation (collectBetween). */
  collected_between: boolean;
}

/**
 * A rock beat with a played feel: what the fixed gestures are cut from. Kick on 1
 * and the "and" of 2, snare on 2 and 4 (a little late), hats on 8ths with loud
 * downbeats (so the accent gesture has something to say).
 */
export function benchPattern(): Pattern {
  const p = new Pattern();
  for (let bar = 0; bar < 2; bar++) {
    const at = bar * 16;
    p.set(at, 0, 0.9)
      .set(at + 6, 0, 0.7)
      .set(at + 8, 0, 0.85);
    p.set(at + 4, 1, 0.8, 0.15).set(at + 12, 1, 0.95, 0.2);
    for (let s = 0; s < 16; s += 2) p.set(at + s, 2, s % 4 === 0 ? 0.85 : 0.45, s % 4 === 0 ? 0 : 0.3);
  }
  return p;
}

function row(pattern: Pattern, drum: number): Float32Array {
  return Float32Array.from({ length: STEPS }, (_, s) => (pattern.hit(s, drum) ? 1 : 0));
}

/**
 * The fixed gesture sets, used in turn: the cases a performer meets (some drums
 * given, only a tapped groove, nearly everything given with a drum held silent,
 * nothing given). Models without per-drum inputs read the drums as a score.
 */
export function benchGestures(): { name: string; gestures: Gestures }[] {
  const p = benchPattern();
  const unspecified = (): (Float32Array | null)[] => new Array(DRUM_COUNT).fill(null);
  const kickSnare = unspecified();
  kickSnare[0] = row(p, 0);
  kickSnare[1] = row(p, 1);
  const most = unspecified();
  most[0] = row(p, 0);
  most[1] = row(p, 1);
  most[2] = row(p, 2);
  most[7] = new Float32Array(STEPS); // crash: explicitly silent
  return [
    { name: 'kick+snare', gestures: { drums: kickSnare } },
    { name: 'groove', gestures: { groove: groove(p) } },
    {
      name: 'kick+snare+hat, crash empty, groove, accent',
      gestures: { drums: most, groove: groove(p), accent: accent(p) },
    },
    { name: 'nothing (prior)', gestures: {} },
  ];
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const ms = (x: number) => Math.round(x * 1000) / 1000;

export async function benchGenerate(opts: GenerateBenchOptions): Promise<GenerateBenchResult> {
  const t0 = performance.now();
  const backend = await initBackend(opts.backend);
  const t1 = performance.now();
  const model = GrooveModel.load(opts.modelDir);
  const t2 = performance.now();
  const sets = benchGestures();
  const first = performance.now();
  model.generate(sets[0].gestures, { seed: 0 });
  const firstMs = performance.now() - first;
  for (let k = 1; k < opts.warmup; k++) model.generate(sets[k % sets.length].gestures, { seed: k });
  const tensorsBefore = tf.memory().numTensors;
  const collect = globalThis.gc;
  if (opts.collectBetween && !collect)
    throw new Error('bench generate --gc-between: run node with --expose-gc (npm run -s groovebox does)');
  const times = new Float64Array(opts.n);
  for (let k = 0; k < opts.n; k++) {
    const { gestures } = sets[k % sets.length];
    if (opts.collectBetween) collect!();
    const start = performance.now();
    model.generate(gestures, { seed: 1000 + k });
    times[k] = performance.now() - start;
  }
  const tensorsAfter = tf.memory().numTensors;
  model.dispose();
  const sorted = times.slice().sort();
  return {
    model: model.name,
    model_dir: path.resolve(opts.modelDir),
    backend,
    n: opts.n,
    warmup: opts.warmup,
    backend_init_ms: ms(t1 - t0),
    load_ms: ms(t2 - t1),
    first_generation_ms: ms(firstMs),
    min_ms: ms(sorted[0]),
    p50_ms: ms(percentile(sorted, 0.5)),
    p90_ms: ms(percentile(sorted, 0.9)),
    p99_ms: ms(percentile(sorted, 0.99)),
    max_ms: ms(sorted[sorted.length - 1]),
    mean_ms: ms(times.reduce((a, b) => a + b, 0) / times.length),
    tensors_before: tensorsBefore,
    tensors_after: tensorsAfter,
    gesture_sets: sets.map((s) => s.name),
    collected_between: opts.collectBetween ?? false,
  };
}
