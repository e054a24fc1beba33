/**
 * Start-up and CLI call times (issue 21): what a performer waits for before
 * the box answers. Each figure is a fresh process, timed from its spawn:
 *
 *   - `npm start -- --port 0 --state-dir DIR` to its "ready in ... panel at" line
 *     (npm, the build check, the daemon's boot: what the README tells one to type);
 *   - the same daemon without npm (`node dist/firmware-ts/cli/main.js start ...`,
 *     the systemd unit's way), and the box's own "ready in X ms" figure;
 *   - `groovebox humanize` on a 2-bar file (test/fixtures/groove.mid), to its exit.
 *
 * With --load, one CPU hog per core spins beside the runs (this script's own
 * children, ended by their pids), for the figure on a busy box.
 *
 *   npm run build && node dist/scripts/bench-startup.js [--runs N] [--load] [--json]
 *
 * A bench, never a test: the figures depend on the machine and its load.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../firmware-ts/paths.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    load: { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write('node dist/scripts/bench-startup.js [--runs N (default 3)] [--load] [--json]\n');
  process.exit(0);
}
const runs = Number(values.runs ?? 3);
if (!(Number.isInteger(runs) && runs >= 1 && runs <= 50)) {
  process.stderr.write(`bench-startup: --runs = ${values.runs}: expected a whole number in 1..50\n`);
  process.exit(2);
}

const CLI = path.join(PROJECT_ROOT, 'dist', 'firmware-ts', 'cli', 'main.js');
/** The node flags `npm start` runs the daemon with (package.json), so both ways boot the same process. */
const NODE_FLAGS = ['--single-threaded-gc', '--expose-gc'];
const TWO_BARS = path.join(PROJECT_ROOT, 'test', 'fixtures', 'groove.mid');
/** A start that has not said "ready" by then is a failure, not a figure. */
const LIMIT_MS = 240_000;
const READY = /ready in (\d+) ms.*panel at (\S+)/;

interface Timed {
  seconds: number;
  /** The box's own "ready in X ms" (start only). */
  boxReadyMs?: number;
}

/** A process of its own group, so it and its children (npm -> sh -> node) end together by its pid. */
function launch(command: string, args: string[]): ChildProcess {
  return spawn(command, args, {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MALLOC_ARENA_MAX: '2' },
  });
}

/**
 * Ends the group and waits until none of it is left: npm exits at once on
 * SIGTERM while the daemon under it is still shutting down, which would
 * overlap (and slow) the next measurement.
 */
async function endGroup(child: ChildProcess): Promise<void> {
  const alive = (): boolean => {
    try {
      process.kill(-child.pid!, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (alive()) process.kill(-child.pid!, 'SIGTERM');
  while (alive()) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** From spawn to the line that says the box is ready with its panel; the daemon is then stopped. */
async function timeStart(command: string, args: string[]): Promise<Timed> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-bench-start-'));
  const t0 = performance.now();
  const child = launch(command, [...args, '--port', '0', '--state-dir', stateDir]);
  try {
    return await new Promise<Timed>((resolve, reject) => {
      let seen = '';
      const limit = setTimeout(
        () => reject(new Error(`no "ready" line within ${LIMIT_MS / 1000} s:\n${seen}`)),
        LIMIT_MS,
      );
      const read = (chunk: Buffer): void => {
        seen += chunk.toString();
        const m = READY.exec(seen);
        if (!m) return;
        clearTimeout(limit);
        resolve({ seconds: (performance.now() - t0) / 1000, boxReadyMs: Number(m[1]) });
      };
      child.stdout!.on('data', read);
      child.stderr!.on('data', read);
      child.once('exit', (code) => {
        clearTimeout(limit);
        reject(new Error(`${command} exited (${code}) before "ready":\n${seen}`));
      });
    });
  } finally {
    await endGroup(child);
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

/** From spawn to exit of one CLI call, which must succeed. */
async function timeCall(args: string[]): Promise<Timed> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-bench-cli-')), 'out.mid');
  const t0 = performance.now();
  const child = launch(process.execPath, [...NODE_FLAGS, CLI, ...args, '--out', out]);
  let errors = '';
  child.stderr!.on('data', (c: Buffer) => (errors += c.toString()));
  child.stdout!.resume();
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const seconds = (performance.now() - t0) / 1000;
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  if (code !== 0) throw new Error(`groovebox ${args.join(' ')} exited ${code}:\n${errors}`);
  return { seconds };
}

function stats(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median: round(median), min: round(s[0]), max: round(s[s.length - 1]) };
}

const round = (x: number): number => Math.round(x * 100) / 100;

const hogs: ChildProcess[] = [];
if (values.load) for (let i = 0; i < os.cpus().length; i++) hogs.push(launch(process.execPath, ['-e', 'for(;;){}']));
const loadBefore = os.loadavg()[0];

const npmStart: Timed[] = [];
const nodeStart: Timed[] = [];
const humanize: Timed[] = [];
try {
  for (let i = 0; i < runs; i++) {
    process.stderr.write(`bench-startup: run ${i + 1}/${runs}${values.load ? ' (loaded)' : ''}\n`);
    npmStart.push(await timeStart('npm', ['start', '--']));
    nodeStart.push(await timeStart(process.execPath, [...NODE_FLAGS, CLI, 'start']));
    humanize.push(await timeCall(['humanize', TWO_BARS, '--seed', '1']));
  }
} finally {
  await Promise.all(hogs.map(endGroup));
}

const result = {
  runs,
  loaded: Boolean(values.load),
  hogs: hogs.length,
  loadAverage: { before: round(loadBefore), after: round(os.loadavg()[0]) },
  npmStart_s: stats(npmStart.map((t) => t.seconds)),
  nodeStart_s: stats(nodeStart.map((t) => t.seconds)),
  boxReadyNpm_s: stats(npmStart.map((t) => t.boxReadyMs! / 1000)),
  boxReady_s: stats(nodeStart.map((t) => t.boxReadyMs! / 1000)),
  humanize2Bars_s: stats(humanize.map((t) => t.seconds)),
  commands: {
    npmStart: 'npm start -- --port 0 --state-dir DIR',
    nodeStart: `node ${NODE_FLAGS.join(' ')} dist/firmware-ts/cli/main.js start --port 0 --state-dir DIR`,
    humanize: `node ${NODE_FLAGS.join(' ')} dist/firmware-ts/cli/main.js humanize test/fixtures/groove.mid --seed 1 --out OUT`,
  },
};
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  const line = (what: string, s: { median: number; min: number; max: number }): string =>
    `${what.padEnd(34)} median ${s.median} s (${s.min}-${s.max})\n`;
  process.stdout.write(
    `start-up and CLI, ${runs} run(s)${values.load ? `, ${hogs.length} CPU hogs` : ''}, load average ${result.loadAverage.before}\n` +
      line('npm start to "ready ... panel at"', result.npmStart_s) +
      line('node ... start to the same line', result.nodeStart_s) +
      line("the box's own ready in (npm start)", result.boxReadyNpm_s) +
      line("the box's own ready in (node)", result.boxReady_s) +
      line('humanize a 2-bar file', result.humanize2Bars_s),
  );
}
