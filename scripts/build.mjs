#!/usr/bin/env node
// Builds dist/ with tsc only when a source is newer than the last build, so
// `npm start` and `npm run groovebox` start at once when nothing changed (tsc
// itself takes tens of seconds even with nothing to do). Plain JavaScript: it
// runs before anything is compiled, from `npm ci` (the prepare script) on.
//
//   node scripts/build.mjs            build when stale (prints nothing otherwise)
//   node scripts/build.mjs --always   build in any case (npm run build)
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'dist', '.build-stamp');
// What tsc reads: the sources it compiles and its own settings.
const SOURCE_DIRS = ['firmware-ts', 'scripts', 'test'];
const SOURCE_FILES = ['tsconfig.json', 'package-lock.json'];

/** Newest modification time (ms) among the TypeScript sources and the build's settings. */
function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  for (const dir of SOURCE_DIRS) walk(path.join(root, dir));
  for (const file of SOURCE_FILES) newest = Math.max(newest, mtime(path.join(root, file)));
  return newest;
}

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

const always = process.argv.includes('--always');
const builtAt = mtime(stamp);
if (!always && builtAt > 0 && newestSource() <= builtAt) process.exit(0);

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // An install without devDependencies (npm ci --omit=dev) cannot build; a dist/ copied in is used as it is.
  if (builtAt > 0 || mtime(path.join(root, 'dist', 'firmware-ts', 'cli', 'main.js')) > 0) process.exit(0);
  process.stderr.write('groovebox: cannot build dist/: typescript is not installed (run npm ci without --omit=dev)\n');
  process.exit(1);
}
// Taken before tsc starts: a source saved while it runs is newer than the stamp, so the next start builds again.
const started = Date.now();
if (!always)
  process.stderr.write(
    `groovebox: ${builtAt > 0 ? 'sources changed since the last build' : 'first build'}; compiling (tsc)\n`,
  );
const run = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);
/** One browser script for the panel, bundled by esbuild from its TypeScript entry; a failed bundle ends the build. */
function bundleForBrowser(entry, outfile, extraFlags = []) {
  const run = spawnSync(
    createRequire(import.meta.url).resolve('esbuild/bin/esbuild'),
    [
      entry,
      '--bundle',
      '--format=esm',
      '--platform=browser',
      '--target=es2022',
      ...extraFlags,
      '--log-level=warning',
      `--outfile=${outfile}`,
    ],
    { stdio: 'inherit', cwd: root },
  );
  if (run.status !== 0) process.exit(run.status ?? 1);
}
// The panel page: TypeScript importing the daemon's modules, bundled into one script the server serves.
bundleForBrowser('firmware-ts/panel/page/panel.ts', 'dist/panel-page/panel.js', ['--sourcemap']);
// The page microphone's audio worklet: loaded by URL into the audio thread, so a file of its own.
bundleForBrowser('firmware-ts/panel/page/mic-worklet.ts', 'dist/panel-page/mic-worklet.js');
mkdirSync(path.dirname(stamp), { recursive: true });
writeFileSync(stamp, `${new Date(started).toISOString()}\n`);
utimesSync(stamp, new Date(started), new Date(started));
