import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildCache, loadCache } from './cache.js';
import { scanDataset } from './scan.js';
import { SPLITS } from './info.js';

/** Issue 2's targets on the 2-core build machine. */
export const TARGETS = { scanSeconds: 15, cacheLoadSeconds: 1 };

export interface DatasetBench {
  dir: string;
  runs: number;
  files: number;
  /** Every 2-bar window of the 4/4 files (empty ones included: they are quantized too). */
  windows: number;
  /** Parse every MIDI file and build every window's Pattern: median seconds over the runs. */
  scanSeconds: number;
  /** `loadCache` of an up-to-date cache (content hash of the dataset and code, then the Float32 files). */
  cacheLoadSeconds: number;
  targets: typeof TARGETS;
  withinTargets: boolean;
}

/**
 * Times what training and evaluation wait for. The cache goes to a private
 * temporary folder (unless `cacheDir` is given) so that a bench never rebuilds
 * or deletes the cache a training run is reading.
 */
export function benchDataset(dir: string, options: { runs?: number; cacheDir?: string } = {}): DatasetBench {
  const runs = options.runs ?? 3;
  const scans: number[] = [];
  let files = 0;
  let windows = 0;
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    const { stats } = scanDataset(dir, { keepPatterns: true, warn: () => {} });
    scans.push((performance.now() - t0) / 1000);
    files = stats.files.total - stats.files.skipped;
    windows = SPLITS.reduce((n, s) => n + stats.windows[s], 0);
  }

  const saved = process.env.GROOVEBOX_CACHE;
  const temporary = options.cacheDir ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-bench-'));
  process.env.GROOVEBOX_CACHE = options.cacheDir ?? temporary!;
  const loads: number[] = [];
  try {
    buildCache(dir);
    for (let k = 0; k < runs; k++) {
      const t0 = performance.now();
      let rebuilt = false;
      loadCache(dir, () => {
        rebuilt = true;
      });
      loads.push((performance.now() - t0) / 1000);
      if (rebuilt)
        throw new Error(`benchDataset: the cache was rebuilt during a load run; the figure would time a build`);
    }
  } finally {
    if (saved === undefined) delete process.env.GROOVEBOX_CACHE;
    else process.env.GROOVEBOX_CACHE = saved;
    if (temporary) fs.rmSync(temporary, { recursive: true, force: true });
  }
  const scanSeconds = Math.round(median(scans) * 1000) / 1000;
  const cacheLoadSeconds = Math.round(median(loads) * 1000) / 1000;
  return {
    dir,
    runs,
    files,
    windows,
    scanSeconds,
    cacheLoadSeconds,
    targets: TARGETS,
    withinTargets: scanSeconds <= TARGETS.scanSeconds && cacheLoadSeconds <= TARGETS.cacheLoadSeconds,
  };
}

export function formatDatasetBench(b: DatasetBench): string {
  const mark = (x: number, target: number) => (x <= target ? `target <= ${target} s` : `OVER the ${target} s target`);
  return [
    `Groove MIDI Dataset at ${b.dir}, median of ${b.runs} runs (load average ${os.loadavg()[0].toFixed(1)})`,
    `parse ${b.files} files + build ${b.windows} windows: ${b.scanSeconds.toFixed(2)} s (${mark(b.scanSeconds, b.targets.scanSeconds)})`,
    `load the cache:                          ${b.cacheLoadSeconds.toFixed(2)} s (${mark(b.cacheLoadSeconds, b.targets.cacheLoadSeconds)})`,
  ].join('\n');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
