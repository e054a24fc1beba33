/**
 * What the audio kit costs while it plays: a pattern fed to AudioOut on a
 * real-time AudioContext with a silent sink (no sound card needed), scheduled
 * ahead the way the sequencer does, while process RSS and CPU time are sampled.
 * Native Web Audio memory is invisible to V8, so RSS is the figure to watch.
 *
 *   node dist/scripts/measure-audio-memory.js [--pattern dense|groove] [--bpm 180]
 *     [--minutes 6] [--warmup 1] [--churn MB/s] [--json]
 *
 * dense: all nine drums on every 16th. groove: a busy rock groove (about the
 * density of the soak's model-generated loops). --churn: short-lived garbage
 * made on the main thread, as the box makes it: frequent scavenges then
 * promote the per-hit node wrappers, whose native memory waits for a full GC.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { AudioContext } from 'node-web-audio-api';
import { AudioOut } from '../firmware-ts/outputs/audio/audio-out.js';

const { values } = parseArgs({
  options: {
    pattern: { type: 'string', default: 'dense' },
    bpm: { type: 'string' },
    minutes: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '1' },
    churn: { type: 'string', default: '0' },
    json: { type: 'boolean' },
  },
});
const patternName = values.pattern ?? 'dense';
const bpm = Number(values.bpm ?? (patternName === 'dense' ? 180 : 120));
const minutes = Number(values.minutes);
const warmup = Number(values.warmup);
const churn = Number(values.churn);
if (patternName !== 'dense' && patternName !== 'groove') fail(`--pattern: expected dense or groove, got "${patternName}"`);
if (!(bpm >= 30 && bpm <= 300)) fail(`--bpm: expected 30..300, got "${values.bpm}"`);
if (!(minutes > 0)) fail(`--minutes: expected a positive number, got "${values.minutes}"`);
if (!(warmup >= 0 && warmup < minutes)) fail(`--warmup: expected 0..minutes, got "${values.warmup}"`);
if (!(churn >= 0 && churn <= 100)) fail(`--churn: expected MB/s 0..100, got "${values.churn}"`);

function fail(message: string): never {
  process.stderr.write(`measure-audio-memory: ${message}\n`);
  process.exit(2);
}

/** One 16th step: [drum, velocity] pairs. 32 steps = the 2-bar loop. */
type Step = [number, number][];

function densePattern(): Step[] {
  // Velocities sweep the whole range so every velocity layer is played.
  return Array.from({ length: 32 }, (_, s) => Array.from({ length: 9 }, (_, d): [number, number] => [d, 0.2 + 0.8 * (((s * 7 + d * 3) % 16) / 15)]));
}

function groovePattern(): Step[] {
  return Array.from({ length: 32 }, (_, s) => {
    const hits: [number, number][] = [[2, s % 2 === 0 ? 0.8 : 0.45]];
    if (s % 8 === 0 || s === 10 || s === 27) hits.push([0, s % 16 === 0 ? 1 : 0.75]);
    if (s % 8 === 4) hits.push([1, 0.95]);
    if (s === 7 || s === 15 || s === 23) hits.push([1, 0.3]);
    if (s === 14) hits.push([3, 0.6]);
    if (s === 0) hits.push([7, 0.9]);
    if (s >= 28) hits.push([4 + (s % 3), 0.8]);
    return hits;
  });
}

const pattern = patternName === 'dense' ? densePattern() : groovePattern();
const step = 60 / bpm / 4;
const LOOKAHEAD = 0.1;
const TICK_MS = 25;

const context = new AudioContext({ sinkId: { type: 'none' } } as unknown as AudioContextOptions);
const ctx = context as unknown as BaseAudioContext;
// The kit renders off the main thread; this also measures how long the main thread is held meanwhile.
const renderStalls = monitorEventLoopDelay({ resolution: 1 });
renderStalls.enable();
const t0 = performance.now();
const audio = new AudioOut({ context: ctx, gain: 0.5 });
await audio.ready;
const kitMs = performance.now() - t0;
renderStalls.disable();

const start = ctx.currentTime + 0.2;
let next = 0;
let notes = 0;
const ticker = setInterval(() => {
  const horizon = ctx.currentTime + LOOKAHEAD;
  for (let time = start + next * step; time < horizon; time = start + ++next * step) {
    for (const [drum, velocity] of pattern[next % pattern.length]) {
      audio.handle({ type: 'note', time, drum, velocity, step: next % 32, offset: 0, position: next });
      notes++;
    }
  }
}, TICK_MS);

// About 50 bytes per small object; dropped at once, so only scavenges see them.
const churner = churn > 0 ? setInterval(() => {
  const junk: { i: number; pair: number[] }[] = [];
  for (let i = 0; i < (churn * 2 ** 20 * 0.01) / 50; i++) junk.push({ i, pair: [i, i] });
}, 10) : null;

interface Sample { t: number; rssMB: number; heapMB: number; cpuS: number }
const samples: Sample[] = [];
const startedAt = performance.now();
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const stalls = monitorEventLoopDelay({ resolution: 1 });
let stallsOn = false;
const sampler = setInterval(() => {
  const t = (performance.now() - startedAt) / 60000;
  const m = process.memoryUsage();
  samples.push({ t, rssMB: m.rss / 2 ** 20, heapMB: m.heapUsed / 2 ** 20, cpuS: cpu() });
  if (!stallsOn && t >= warmup) { stalls.enable(); stallsOn = true; }
  if (!values.json && samples.length % 30 === 0) process.stderr.write(`${t.toFixed(1)} min  rss ${samples.at(-1)!.rssMB.toFixed(1)} MB  heap ${samples.at(-1)!.heapMB.toFixed(1)} MB\n`);
  if (t >= minutes) void finish();
}, 1000);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Least-squares slope of y over t (MB per minute), so one noisy sample cannot make or hide a trend. */
function slope(points: Sample[], y: (s: Sample) => number): number {
  const n = points.length;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const my = points.reduce((a, p) => a + y(p), 0) / n;
  let num = 0, den = 0;
  for (const p of points) { num += (p.t - mt) * (y(p) - my); den += (p.t - mt) ** 2; }
  return num / den;
}

async function finish(): Promise<void> {
  clearInterval(ticker);
  clearInterval(sampler);
  if (churner) clearInterval(churner);
  stalls.disable();
  const after = samples.filter((s) => s.t >= warmup);
  const first = after.slice(0, 10), last = after.slice(-10);
  const span = last.at(-1)!.t - first[0].t;
  const result = {
    pattern: patternName,
    bpm,
    churnMBPerSecond: churn,
    notesPerSecond: Math.round(notes / (samples.at(-1)!.t * 60)),
    sampleRate: ctx.sampleRate,
    kitMs: Math.round(kitMs),
    kitMaxStallMs: Number((renderStalls.max / 1e6).toFixed(1)),
    warmupMin: warmup,
    measuredMin: Number(span.toFixed(2)),
    rssStartMB: Number(median(first.map((s) => s.rssMB)).toFixed(1)),
    rssEndMB: Number(median(last.map((s) => s.rssMB)).toFixed(1)),
    rssGrowthMB: Number((median(last.map((s) => s.rssMB)) - median(first.map((s) => s.rssMB))).toFixed(1)),
    rssSlopeMBPerMin: Number(slope(after, (s) => s.rssMB).toFixed(2)),
    heapSlopeMBPerMin: Number(slope(after, (s) => s.heapMB).toFixed(2)),
    cpuSecondsPerMin: Number(((last.at(-1)!.cpuS - first[0].cpuS) / span).toFixed(1)),
    maxStallMs: Number((stalls.max / 1e6).toFixed(1)),
    late: audio.late,
  };
  await (context as unknown as { close(): Promise<void> }).close();
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(18)} ${v}\n`);
  process.exit(0);
}
