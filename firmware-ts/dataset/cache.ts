import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PATTERN_TENSOR_SIZE, patternToTensorData } from '../pattern/tensor-layout.js';
import { cacheDir } from '../paths.js';
import { writeFileAtomicSync } from '../storage/atomic-file.js';
import { readInfo, SPLITS, type Split } from './info.js';
import { scanDataset, type DatasetStats, type WindowMeta } from './scan.js';

/**
 * The binary dataset cache: per split one Float32 file of N x 32 x 27 pattern
 * tensors (non-empty 4/4 windows), plus a JSON index. It carries a content hash
 * of the dataset files and of the conversion code, and is rebuilt when either changes.
 */
export interface DatasetCache {
  hash: string;
  /**
   * A hash of the windows themselves (every split's float32 bytes). A training
   * checkpoint is tied to this, not to `hash`: a change to the conversion code
   * that leaves every window as it was (a comment, formatting) must not stop a
   * run from resuming, and one that changes a window must.
   */
  windowsHash: string;
  stats: DatasetStats;
  splits: Record<Split, { count: number; data: Float32Array; meta: WindowMeta[] }>;
}

interface CacheIndex {
  format: 1;
  hash: string;
  stats: DatasetStats;
  splits: Record<Split, { count: number; file: string; meta: WindowMeta[] }>;
}

// The modules whose code decides what a cached window holds.
const CONVERSION_MODULES = [
  '../midi-file/performance.js',
  '../midi-file/windows.js',
  '../pattern/tensor-layout.js',
  '../pattern/drums.js',
  './scan.js',
];

/** Hash of the dataset's bytes (info.csv and every MIDI file) and of the conversion code. */
export function datasetHash(dir: string): string {
  const h = crypto.createHash('sha256');
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const mod of CONVERSION_MODULES) h.update(fs.readFileSync(path.join(here, mod)));
  h.update(fs.readFileSync(path.join(dir, 'info.csv')));
  for (const row of readInfo(dir)) {
    try {
      h.update(row.midiFilename);
      h.update(fs.readFileSync(path.join(dir, row.midiFilename)));
    } catch {
      h.update('missing');
    }
  }
  return h.digest('hex').slice(0, 16);
}

export function cacheFolder(): string {
  return path.join(cacheDir(), 'dataset');
}

/** Scans the dataset and writes the cache (atomically: temp files, then renames). */
export function buildCache(dir: string, log: (msg: string) => void = () => {}): DatasetCache {
  const hash = datasetHash(dir);
  const { stats, patterns } = scanDataset(dir, { keepPatterns: true });
  const folder = cacheFolder();
  fs.mkdirSync(folder, { recursive: true });
  const index: CacheIndex = { format: 1, hash, stats, splits: {} as CacheIndex['splits'] };
  const splits = {} as DatasetCache['splits'];
  for (const split of SPLITS) {
    const items = patterns[split];
    const data = new Float32Array(items.length * PATTERN_TENSOR_SIZE);
    items.forEach((item, k) => patternToTensorData(item.pattern, data, k * PATTERN_TENSOR_SIZE));
    const file = `${split}-${hash}.f32`;
    writeFileAtomicSync(path.join(folder, file), new Uint8Array(data.buffer));
    index.splits[split] = { count: items.length, file, meta: items.map((i) => i.meta) };
    splits[split] = { count: items.length, data, meta: index.splits[split].meta };
  }
  writeFileAtomicSync(path.join(folder, 'index.json'), JSON.stringify(index));
  for (const f of fs.readdirSync(folder)) {
    if (f.endsWith('.f32') && !f.includes(hash)) fs.rmSync(path.join(folder, f), { force: true });
  }
  log(
    `groovebox:dataset cache built (${hash}): ${SPLITS.map((s) => `${s} ${splits[s].count}`).join(', ')} in ${stats.seconds.toFixed(2)} s`,
  );
  return { hash, windowsHash: windowsHash(splits), stats, splits };
}

/** Loads the cache, rebuilding it first when it is missing or stale. */
export function loadCache(dir: string, log: (msg: string) => void = () => {}): DatasetCache {
  const hash = datasetHash(dir);
  const cached = readCache(hash);
  if (cached) return cached;
  log('groovebox:dataset cache missing or stale: building it');
  return buildCache(dir, log);
}

function readCache(hash: string): DatasetCache | null {
  const folder = cacheFolder();
  let index: CacheIndex;
  try {
    index = JSON.parse(fs.readFileSync(path.join(folder, 'index.json'), 'utf8')) as CacheIndex;
  } catch {
    return null;
  }
  if (index.format !== 1 || index.hash !== hash) return null;
  const splits = {} as DatasetCache['splits'];
  for (const split of SPLITS) {
    const entry = index.splits[split];
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(folder, entry.file));
    } catch {
      return null;
    }
    if (bytes.length !== entry.count * PATTERN_TENSOR_SIZE * 4) return null;
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    splits[split] = { count: entry.count, data, meta: entry.meta };
  }
  return { hash: index.hash, windowsHash: windowsHash(splits), stats: index.stats, splits };
}

export function windowsHash(splits: DatasetCache['splits']): string {
  const h = crypto.createHash('sha256');
  for (const split of SPLITS) {
    const data = splits[split].data;
    h.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return h.digest('hex').slice(0, 16);
}
