/**
 * Where a running process's RSS is, sampled once a minute from /proc/PID/smaps
 * (Linux): V8 heap pages (anonymous read-write mappings of exactly 256 KiB, the
 * size V8 allocates its heap pages in) versus everything else (code, native
 * libraries, malloc arenas, Web Audio buffers, wasm memory). Run it beside a
 * soak to tell a V8 heap that commits more pages from native memory that leaks:
 *
 *   node dist/scripts/memory-map.js --pid PID [--every 60] [--json]
 *
 * Prints one line per sample until the process exits.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { pid: { type: 'string' }, every: { type: 'string', default: '60' }, json: { type: 'boolean' } } });
const pid = Number(values.pid);
const every = Number(values.every);
if (!Number.isInteger(pid) || pid <= 0) fail(`--pid: expected a process id, got "${values.pid ?? ''}"`);
if (!(every >= 1)) fail(`--every: expected seconds >= 1, got "${values.every}"`);

const V8_PAGE_KB = 256;
const HEADER = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\S+)\s*(.*)$/;

interface Sample { minute: number; rssMB: number; v8PagesMB: number; otherMB: number }

/** Sums Rss by kind of mapping; a mapping's size comes from its address range. */
function sample(text: string, start: number): Sample {
  let v8 = 0;
  let other = 0;
  let isV8Page = false;
  for (const line of text.split('\n')) {
    const header = HEADER.exec(line);
    if (header) {
      const [, from, to, perms, inode, name] = header;
      const anonymous = inode === '0' && name === '';
      isV8Page = anonymous && perms === 'rw-p' && (parseInt(to, 16) - parseInt(from, 16)) / 1024 === V8_PAGE_KB;
    } else if (line.startsWith('Rss:')) {
      const kb = Number(line.split(/\s+/)[1]);
      if (isV8Page) v8 += kb;
      else other += kb;
    }
  }
  const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;
  return { minute: Math.round((Date.now() - start) / 6000) / 10, rssMB: mb(v8 + other), v8PagesMB: mb(v8), otherMB: mb(other) };
}

function fail(message: string): never {
  process.stderr.write(`memory-map: ${message}\n`);
  process.exit(2);
}

const start = Date.now();
const tick = () => {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    clearInterval(timer);
    return; // the process has ended
  }
  const s = sample(text, start);
  process.stdout.write(values.json ? JSON.stringify(s) + '\n' : `${s.minute} min: RSS ${s.rssMB} MB = V8 heap pages ${s.v8PagesMB} MB + other ${s.otherMB} MB\n`);
};
const timer = setInterval(tick, every * 1000);
tick();
