/**
 * `npm run bench`: the one benchmark suite. Runs every figure the issues ask
 * for, each in a fresh child process (so one measurement cannot warm up or
 * disturb the next), prints one table and writes bench/results/<timestamp>.json
 * with the machine it ran on.
 *
 *   npm run bench [-- --quick] [-- --soak-minutes M] [-- --skip name,name] [-- --reuse key=file]
 *
 * --reuse soak=FILE takes a figure from the JSON a command printed earlier
 * (e.g. a 2-hour `groovebox soak --json` run on its own) instead of running
 * it again; the report names the file it came from.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BOX_DEFAULT_MODEL } from '../firmware-ts/model/config.js';
import { PROJECT_ROOT } from '../firmware-ts/paths.js';

interface Step {
  key: string;
  title: string;
  args: string[];
  /** A script in dist/scripts/ to run instead of the groovebox CLI. */
  script?: string;
}

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    'soak-minutes': { type: 'string' },
    skip: { type: 'string' },
    reuse: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(
    'npm run bench [-- --quick] [-- --soak-minutes M] [-- --skip dataset,train,...] [-- --reuse soak=FILE ...]\n',
  );
  process.exit(0);
}
const quick = Boolean(values.quick);
const soakMinutes = Number(values['soak-minutes'] ?? (quick ? 1 : 5));
if (!(soakMinutes > 0)) {
  process.stderr.write(`bench: --soak-minutes: expected a positive number, got "${values['soak-minutes']}"\n`);
  process.exit(2);
}
const skip = new Set((values.skip ?? '').split(',').filter(Boolean));
const reused = new Map<string, { file: string; value: Record<string, unknown> }>();
for (const spec of values.reuse ?? []) {
  const [key, file] = spec.split('=');
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(path.resolve(file ?? ''), 'utf8'));
  } catch (error) {
    process.stderr.write(
      `bench: --reuse ${spec}: expected key=FILE with the JSON a bench command printed (${(error as Error).message})\n`,
    );
    process.exit(2);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    process.stderr.write(`bench: --reuse ${spec}: expected a JSON object in ${file}\n`);
    process.exit(2);
  }
  reused.set(key, { file: path.relative(process.cwd(), path.resolve(file)), value: value as Record<string, unknown> });
}
const events = quick ? '3000' : '10000';
const n = quick ? '200' : '500';

const STEPS: Step[] = [
  { key: 'dataset', title: 'dataset build + cache load', args: ['bench', 'dataset', '--json'] },
  {
    key: 'generation.ag11',
    title: 'generation ag11 (batch 1)',
    args: ['bench', 'generate', '--model', BOX_DEFAULT_MODEL, '--n', n, '--json'],
  },
  {
    key: 'generation.ag2',
    title: 'generation ag2 (batch 1)',
    args: ['bench', 'generate', '--model', 'ag2', '--n', n, '--json'],
  },
  {
    key: 'generation.baseline',
    title: 'generation baseline (batch 1)',
    args: ['bench', 'generate', '--model', 'baseline', '--n', n, '--json'],
  },
  {
    key: 'midiTiming.idle',
    title: 'MIDI send error, idle',
    args: ['bench', 'midi-timing', '--events', events, '--bpm', '180', '--json'],
  },
  {
    key: 'midiTiming.load',
    title: 'MIDI send error, generating',
    args: ['bench', 'midi-timing', '--events', events, '--bpm', '180', '--load', '--json'],
  },
  {
    key: 'wakeUp',
    title: 'idle real-time thread wake-up (the floor for stalls)',
    args: ['bench', 'wake-up', '--seconds', quick ? '20' : '60', '--json'],
  },
  {
    key: 'train',
    title: 'training step, wasm vs cpu',
    args: ['bench', 'train', '--json', ...(quick ? ['--steps', '2'] : [])],
  },
  {
    key: 'onsets',
    title: 'microphone onsets (synthetic + recorded-style audio)',
    script: 'bench-onsets.js',
    args: ['--json'],
  },
  {
    key: 'midiIn',
    title: 'MIDI tap timing, generating (note time vs arrival)',
    script: 'bench-midi-in.js',
    args: ['--load', '--json', ...(quick ? ['--notes', '300'] : [])],
  },
  {
    key: 'startup.quiet',
    title: 'start-up to "ready", and a CLI call on 2 bars',
    script: 'bench-startup.js',
    args: ['--json', '--runs', quick ? '1' : '3'],
  },
  {
    key: 'startup.loaded',
    title: 'the same beside one CPU hog per core',
    script: 'bench-startup.js',
    args: ['--load', '--json', '--runs', quick ? '1' : '3'],
  },
  { key: 'soak', title: `soak (${soakMinutes} min)`, args: ['soak', '--minutes', String(soakMinutes), '--json'] },
  {
    key: 'soakWitness',
    title: `soak with stall witnesses (${soakMinutes} min)`,
    args: ['soak', '--minutes', String(soakMinutes), '--witness', '--json'],
  },
  {
    key: 'soakNoAudio',
    title: `soak without audio (${soakMinutes} min)`,
    args: ['soak', '--minutes', String(soakMinutes), '--no-audio', '--json'],
  },
];

const cli = path.join(PROJECT_ROOT, 'dist', 'firmware-ts', 'cli', 'main.js');
const results: Record<string, unknown> = {};
const table: string[][] = [];

/** The code measured: HEAD, and whether the tree had changes on top (null outside a git clone). */
function measuredCommit(): { sha: string; dirty: boolean } | null {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' });
  const head = git('rev-parse', 'HEAD');
  if (head.status !== 0) return null;
  return { sha: head.stdout.trim(), dirty: git('status', '--porcelain', '--untracked-files=no').stdout.trim() !== '' };
}

// Read before the steps: the code that `npm run bench` built, not what the tree holds an hour later.
const commit = measuredCommit();

let failed = 0;
for (const step of STEPS) {
  if (skip.has(step.key.split('.')[0]) || skip.has(step.key)) continue;
  const earlier = reused.get(step.key);
  if (earlier) {
    set(results, step.key, { ...earlier.value, reusedFrom: earlier.file });
    table.push([
      step.title.replace(/\(\d+(\.\d+)? min\)/, `(${earlier.value.minutes} min)`),
      summary(step.key, earlier.value),
      `from ${earlier.file}`,
      'earlier',
    ]);
    continue;
  }
  process.stderr.write(`bench: ${step.title} ...\n`);
  const t0 = performance.now();
  const target = step.script ? path.join(PROJECT_ROOT, 'dist', 'scripts', step.script) : cli;
  const run = spawnSync(process.execPath, [...process.execArgv, target, ...step.args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (performance.now() - t0) / 1000;
  const line = run.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (run.status !== 0 || !line) {
    failed++;
    table.push([step.title, `FAILED (exit ${run.status})`, '', `${seconds.toFixed(0)} s`]);
    set(results, step.key, { error: `exit ${run.status}` });
    continue;
  }
  const value = JSON.parse(line) as Record<string, unknown>;
  set(results, step.key, value);
  table.push([
    step.title,
    summary(step.key, value),
    step.script ? `node dist/scripts/${step.script} ${step.args.join(' ')}` : `groovebox ${step.args.join(' ')}`,
    `${seconds.toFixed(0)} s`,
  ]);
}

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const report = {
  date: new Date().toISOString(),
  commit,
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    loadAverage: os.loadavg(),
  },
  quick,
  reused: Object.fromEntries([...reused].map(([key, r]) => [key, r.file])),
  ...results,
};
const dir = path.join(PROJECT_ROOT, 'bench', 'results');
fs.mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${stamp}.json`);
fs.writeFileSync(file, JSON.stringify(report, null, 2) + '\n');

const widths = [0, 1, 2, 3].map((i) => Math.max(...table.map((r) => r[i].length), 8));
process.stdout.write(
  table.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n') +
    `\n\nwritten to ${path.relative(PROJECT_ROOT, file)}\n`,
);
process.exitCode = failed > 0 ? 1 : 0;

function set(target: Record<string, unknown>, key: string, value: unknown): void {
  const [a, b] = key.split('.');
  if (!b) target[a] = value;
  else target[a] = { ...((target[a] as Record<string, unknown>) ?? {}), [b]: value };
}

/** The figure a reader looks for first, per benchmark. */
function summary(key: string, v: Record<string, unknown>): string {
  const ms = (x: unknown) => (typeof x === 'number' ? `${x.toFixed(x < 1 ? 3 : 1)} ms` : '?');
  if (key.startsWith('generation')) return `p50 ${ms(v.p50_ms)}, p99 ${ms(v.p99_ms)} (${v.backend})`;
  if (key.startsWith('midiTiming')) return `p50 ${ms(v.p50_ms)}, p99 ${ms(v.p99_ms)} over ${v.events} events`;
  if (key === 'onsets')
    return `recall ${pct(v.recall)}, false ${pct(v.falseOnsets)}, error p95 ${ms(v.errorP95Ms)}, latency max ${ms(v.latencyMaxMs)}`;
  if (key === 'midiIn')
    return `p50 ${ms(v.p50_ms)}, p99 ${ms(v.p99_ms)}, max ${ms(v.max_ms)}, within 1 ms ${pct(v.within1ms)} of ${v.notes} notes`;
  if (key.startsWith('startup')) {
    const med = (x: unknown) => `${(x as { median?: number } | undefined)?.median ?? '?'} s`;
    return (
      `npm start ${med(v.npmStart_s)} (box's own ready ${med(v.boxReady_s)}), node start ${med(v.nodeStart_s)}, ` +
      `humanize 2 bars ${med(v.humanize2Bars_s)}; load ${(v.loadAverage as { before?: number })?.before}`
    );
  }
  if (key === 'wakeUp') return `p99 ${ms(v.p99Ms)}, max ${ms(v.maxMs)}, ${v.over5ms} over 5 ms; steal ${v.stolenMs} ms`;
  if (key.startsWith('soak')) {
    const midi = v.midiTiming as
      { first?: { p99_ms?: number }; last?: { p99_ms?: number }; maxMs?: number } | undefined;
    const w = v.stallWitness as
      { stalls: number; gc: number; machine: number; both: number; unexplained: number } | null | undefined;
    return (
      `RSS ${signed(v.rssGrowthMB)} MB, tensors ${signed(v.tensorGrowth)}, timing-thread max stall ${ms(v.maxStallMs)}, ` +
      `MIDI p99 ${ms(midi?.first?.p99_ms)} -> ${ms(midi?.last?.p99_ms)}, max ${ms(midi?.maxMs)}` +
      (w
        ? `; stalls > 5 ms: ${w.stalls} (own GC ${w.gc}, machine ${w.machine}, both ${w.both}, neither ${w.unexplained})`
        : '')
    );
  }
  return Object.entries(v)
    .filter(([, x]) => typeof x === 'number')
    .slice(0, 3)
    .map(([k, x]) => `${k} ${(x as number).toFixed(2)}`)
    .join(', ');
}

function pct(x: unknown): string {
  return typeof x === 'number' ? `${(x * 100).toFixed(1)}%` : '?';
}

/** +1.5, -2.9, +0: growth figures with their sign. */
function signed(n: unknown): string {
  return typeof n === 'number' ? `${n < 0 ? '-' : '+'}${Math.abs(n)}` : '?';
}
