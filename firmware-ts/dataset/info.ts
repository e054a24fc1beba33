import fs from 'node:fs';
import path from 'node:path';

export type Split = 'train' | 'validation' | 'test';
export const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

/** One row of the Groove MIDI Dataset's info.csv. */
export interface InfoRow {
  drummer: string;
  id: string;
  style: string;
  bpm: number;
  beatType: string;
  timeSignature: string;
  midiFilename: string;
  split: Split;
}

export class DatasetError extends Error {
  override name = 'DatasetError';
}

const REQUIRED = ['drummer', 'id', 'style', 'bpm', 'beat_type', 'time_signature', 'midi_filename', 'split'] as const;

/** Reads and validates info.csv; every problem names the file, line and column. */
export function readInfo(dir: string): InfoRow[] {
  if (!fs.existsSync(dir))
    throw new DatasetError(
      `${dir}: dataset folder not found (set --data DIR or GROOVEBOX_DATA; see README "Getting the dataset")`,
    );
  const file = path.join(dir, 'info.csv');
  if (!fs.existsSync(file))
    throw new DatasetError(`${file}: missing info.csv (is this the groove/ folder of groove-v1.0.0-midionly.zip?)`);
  const lines = fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new DatasetError(`${file}: no rows`);
  const header = lines[0].split(',');
  const col: Record<string, number> = {};
  for (const name of REQUIRED) {
    col[name] = header.indexOf(name);
    if (col[name] < 0) throw new DatasetError(`${file}: header has no "${name}" column`);
  }
  return lines.slice(1).map((line, k) => {
    const cells = line.split(',');
    const where = `${file}:${k + 2}`;
    const bpm = Number(cells[col.bpm]);
    if (!(bpm > 0 && bpm < 1000)) throw new DatasetError(`${where}: bpm "${cells[col.bpm]}" is not a positive number`);
    const split = cells[col.split] as Split;
    if (!SPLITS.includes(split))
      throw new DatasetError(`${where}: split "${cells[col.split]}" is not one of ${SPLITS.join(', ')}`);
    const timeSignature = cells[col.time_signature];
    if (!/^\d+-\d+$/.test(timeSignature ?? ''))
      throw new DatasetError(`${where}: time_signature "${timeSignature}" is not like 4-4`);
    return {
      drummer: cells[col.drummer],
      id: cells[col.id],
      style: cells[col.style],
      bpm,
      beatType: cells[col.beat_type],
      timeSignature,
      midiFilename: cells[col.midi_filename],
      split,
    };
  });
}
