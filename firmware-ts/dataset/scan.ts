import fs from 'node:fs';
import path from 'node:path';
import { readPerformance } from '../midi-file/performance.js';
import { barCount, barSeconds, windowCount, windows } from '../midi-file/windows.js';
import { Pattern } from '../pattern/pattern.js';
import { readInfo, SPLITS, type InfoRow, type Split } from './info.js';

export interface WindowMeta {
  file: string;
  bar: number;
  style: string;
  beatType: string;
  drummer: string;
}

export interface DatasetStats {
  dir: string;
  files: Record<Split, number> & { total: number; fourFour: number; skipped: number };
  /** 2-bar windows (hop 1 bar) of the 4/4 files: what the models use. */
  windows: Record<Split, number>;
  /** 4/4 windows holding no note at all (no note starts inside the window). */
  emptyWindows: Record<Split, number>;
  /** 4/4 windows whose quantized pattern has no kit hit (what training drops). */
  emptyPatterns: Record<Split, number>;
  /** Windows of every file, any time signature (the published TFDS groove/2bar counts). */
  windowsAllSignatures: Record<Split, number>;
  beatType: Record<string, number>;
  styles: Record<string, number>;
  skippedFiles: { file: string; reason: string }[];
  seconds: number;
}

export interface ScanResult {
  stats: DatasetStats;
  /** Non-empty 4/4 windows per split, in info.csv order. */
  patterns: Record<Split, { pattern: Pattern; meta: WindowMeta }[]>;
}

const zeroSplits = (): Record<Split, number> => ({ train: 0, validation: 0, test: 0 });

/**
 * Reads every file info.csv names and cuts it into 2-bar windows. A bad file
 * is skipped with a warning and counted, never a crash.
 */
export function scanDataset(
  dir: string,
  options: { keepPatterns?: boolean; warn?: (msg: string) => void } = {},
): ScanResult {
  const t0 = performance.now();
  const warn = options.warn ?? ((msg: string) => console.warn(msg));
  const rows = readInfo(dir);
  const stats: DatasetStats = {
    dir,
    files: { ...zeroSplits(), total: 0, fourFour: 0, skipped: 0 },
    windows: zeroSplits(),
    emptyWindows: zeroSplits(),
    emptyPatterns: zeroSplits(),
    windowsAllSignatures: zeroSplits(),
    beatType: {},
    styles: {},
    skippedFiles: [],
    seconds: 0,
  };
  const patterns: ScanResult['patterns'] = { train: [], validation: [], test: [] };
  for (const row of rows) {
    stats.files.total++;
    try {
      scanFile(dir, row, stats, options.keepPatterns ? patterns[row.split] : null);
      stats.files[row.split]++;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      stats.files.skipped++;
      stats.skippedFiles.push({ file: row.midiFilename, reason });
      warn(`groovebox:dataset skipped ${reason}`);
    }
  }
  stats.seconds = (performance.now() - t0) / 1000;
  return { stats, patterns };
}

function scanFile(dir: string, row: InfoRow, stats: DatasetStats, out: ScanResult['patterns'][Split] | null): void {
  const file = path.join(dir, row.midiFilename);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`, { cause: err });
  }
  const perf = readPerformance(bytes, file);
  const beatsPerBar = Number(row.timeSignature.split('-')[0]);
  stats.windowsAllSignatures[row.split] += windowCount(barCount(perf, barSeconds(row.bpm, beatsPerBar)));
  stats.beatType[row.beatType] = (stats.beatType[row.beatType] ?? 0) + 1;
  const style = row.style.split('/')[0];
  stats.styles[style] = (stats.styles[style] ?? 0) + 1;
  if (row.timeSignature !== '4-4') return;
  stats.files.fourFour++;
  for (const w of windows(perf, row.bpm)) {
    stats.windows[row.split]++;
    if (!w.holdsNotes) stats.emptyWindows[row.split]++;
    if (w.pattern.isEmpty()) {
      stats.emptyPatterns[row.split]++;
      continue;
    }
    out?.push({
      pattern: w.pattern,
      meta: { file: row.midiFilename, bar: w.bar, style, beatType: row.beatType, drummer: row.drummer },
    });
  }
}

export { SPLITS };
