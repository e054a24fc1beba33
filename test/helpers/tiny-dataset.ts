import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { patternsToMidi, ROUND_TRIP_PITCHES } from '../../firmware-ts/midi-file/write.js';
import { Pattern } from '../../firmware-ts/pattern/pattern.js';
import { FIXTURES_DIR } from './fixtures.js';

const HEADER = 'drummer,session,id,style,bpm,beat_type,time_signature,midi_filename,audio_filename,duration,split';

/** `count` patterns, each with hits on steps 0, 16 and 31, so every 2-bar window of the file has a hit. */
export function longFile(count: number, bpm: number): Uint8Array {
  const p = new Pattern().set(0, 0, 0.9).set(16, 1, 0.6, 0.2).set(31, 2, 0.3, -0.2);
  return patternsToMidi(
    Array.from({ length: count }, () => p),
    { bpm, pitches: ROUND_TRIP_PITCHES },
  );
}

/**
 * A dataset folder in the shape of groove/ with five files:
 *   train      a/groove.mid (120 bpm, 1 window) and a/long.mid (3 patterns at 100 bpm: 6 bars, 5 windows)
 *   validation b/three-four.mid (3-4: counted in all signatures only)
 *   test       c/groove.mid (1 window) and c/broken.mid (truncated: skipped with a warning)
 */
export function makeTinyDataset(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-dataset-'));
  for (const sub of ['a', 'b', 'c']) fs.mkdirSync(path.join(dir, sub));
  fs.copyFileSync(path.join(FIXTURES_DIR, 'groove.mid'), path.join(dir, 'a', 'groove.mid'));
  fs.writeFileSync(path.join(dir, 'a', 'long.mid'), longFile(3, 100));
  fs.copyFileSync(path.join(FIXTURES_DIR, 'three-four.mid'), path.join(dir, 'b', 'three-four.mid'));
  fs.copyFileSync(path.join(FIXTURES_DIR, 'groove.mid'), path.join(dir, 'c', 'groove.mid'));
  fs.writeFileSync(
    path.join(dir, 'c', 'broken.mid'),
    fs.readFileSync(path.join(FIXTURES_DIR, 'groove.mid')).subarray(0, 70),
  );
  const row = (drummer: string, style: string, bpm: number, beat: string, sig: string, file: string, split: string) =>
    `${drummer},${drummer}/s,${drummer}/s/1,${style},${bpm},${beat},${sig},${file},${file.replace('.mid', '.wav')},10,${split}`;
  fs.writeFileSync(
    path.join(dir, 'info.csv'),
    [
      HEADER,
      row('drummer1', 'funk/groove1', 120, 'beat', '4-4', 'a/groove.mid', 'train'),
      row('drummer2', 'rock/fill3', 100, 'fill', '4-4', 'a/long.mid', 'train'),
      row('drummer3', 'jazz/groove2', 100, 'beat', '3-4', 'b/three-four.mid', 'validation'),
      row('drummer1', 'funk/groove1', 120, 'beat', '4-4', 'c/groove.mid', 'test'),
      row('drummer4', 'latin/groove9', 120, 'beat', '4-4', 'c/broken.mid', 'test'),
    ].join('\n') + '\n',
  );
  return dir;
}
