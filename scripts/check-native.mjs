#!/usr/bin/env node
// Loads every native piece the box runs on, under the Node that runs this script, each in a child process
// of its own: a module built for another Node can crash the process as it loads (a segfault prints
// nothing), and the parent still names it. One line per piece; the first failure is one line on stderr
// naming the module, and exit code 1.
// Usage: node scripts/check-native.mjs [PROJECT_DIR]   (default: the folder above this script)
// Plain JavaScript, not built by tsc: it must run before, and independently of, the build.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const onlyFlag = process.argv.indexOf('--only');
const projectArg = process.argv.slice(2).filter((a, i, all) => a !== '--only' && all[i - 1] !== '--only')[0];
const root = path.resolve(projectArg ?? path.join(path.dirname(here), '..'));
const requireFromProject = createRequire(path.join(root, 'package.json'));
const nodeLabel = `Node ${process.versions.node} (${process.arch}, module ABI ${process.versions.modules})`;

/** A piece the box needs: how to load it, and what it says when it works. */
const PIECES = [
  {
    name: '@julusian/midi (RtMidi, under easymidi)',
    async check() {
      // The very copy easymidi runs on, resolved from easymidi's own folder.
      const fromEasymidi = createRequire(requireFromProject.resolve('easymidi'));
      const midi = fromEasymidi('@julusian/midi');
      if (typeof midi.Output !== 'function') throw new Error('the binding has no Output class');
      return 'loaded';
    },
  },
  {
    name: 'i2c-bus',
    async check() {
      const i2c = requireFromProject('i2c-bus');
      if (typeof i2c.openSync !== 'function') throw new Error('the module has no openSync');
      return 'loaded';
    },
  },
  {
    name: 'epoll (under onoff)',
    async check() {
      const fromOnoff = createRequire(requireFromProject.resolve('onoff'));
      const { Epoll } = fromOnoff('epoll');
      if (typeof Epoll !== 'function') throw new Error('the binding has no Epoll class');
      if (typeof requireFromProject('onoff').Gpio !== 'function') throw new Error('onoff has no Gpio class');
      return 'loaded';
    },
  },
  {
    name: 'node-web-audio-api',
    async check() {
      // Renders a few milliseconds offline: the native engine runs, no sound card needed.
      const { OfflineAudioContext } = requireFromProject('node-web-audio-api');
      const context = new OfflineAudioContext({ numberOfChannels: 1, length: 256, sampleRate: 44100 });
      const oscillator = context.createOscillator();
      oscillator.connect(context.destination);
      oscillator.start();
      const rendered = await context.startRendering();
      const samples = rendered.getChannelData(0);
      if (!samples.some((s) => s !== 0)) throw new Error('an offline render of an oscillator came out silent');
      return `rendered ${samples.length} frames offline`;
    },
  },
  {
    name: '@tensorflow/tfjs-backend-wasm (SIMD)',
    async check() {
      const tf = requireFromProject('@tensorflow/tfjs');
      const wasm = requireFromProject('@tensorflow/tfjs-backend-wasm');
      const wasmFile = requireFromProject.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
      wasm.setWasmPaths(path.dirname(wasmFile) + path.sep);
      wasm.setThreadsCount?.(1);
      if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") refused');
      await tf.ready();
      // Without SIMD the backend falls back to its plain build, several times slower on a Pi.
      if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) throw new Error('WebAssembly SIMD is not available');
      const product = Array.from(
        tf
          .matMul(
            tf.tensor2d([
              [1, 2],
              [3, 4],
            ]),
            tf.tensor2d([
              [5, 6],
              [7, 8],
            ]),
          )
          .dataSync(),
      );
      if (product.join(',') !== '19,22,43,50')
        throw new Error(`a 2x2 matMul gave ${product.join(',')}, expected 19,22,43,50`);
      return 'backend wasm, SIMD on';
    },
  },
];

/** An error as one line (Node's ABI mismatch message spans several). */
function firstLine(err) {
  const text = String(err?.message ?? err)
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > 400 ? `${text.slice(0, 400)}...` : text;
}

if (onlyFlag >= 0) {
  // Child: one piece, one line on stdout.
  const piece = PIECES[Number(process.argv[onlyFlag + 1])];
  try {
    process.stdout.write(`${await piece.check()}\n`);
    process.exit(0);
  } catch (err) {
    process.stdout.write(`${firstLine(err)}\n`);
    process.exit(1);
  }
}

for (const [index, piece] of PIECES.entries()) {
  const child = spawnSync(process.execPath, [here, '--only', String(index), root], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  const said = (child.stdout ?? '').trim().split('\n').pop() ?? '';
  if (child.status === 0) {
    process.stdout.write(`check-native: ok ${piece.name}: ${said}\n`);
    continue;
  }
  const why = child.signal
    ? `Node died with ${child.signal} while loading it (built for another Node?)`
    : child.error
      ? firstLine(child.error)
      : said || firstLine(child.stderr?.trim().split('\n').pop()) || `exit code ${child.status}`;
  process.stderr.write(`check-native: FAILED ${piece.name} under ${nodeLabel} in ${root}: ${why}\n`);
  process.exit(1);
}
process.stdout.write(`check-native: all ${PIECES.length} native pieces load under ${nodeLabel}\n`);
