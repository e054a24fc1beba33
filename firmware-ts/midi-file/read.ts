import { DRUM_PITCHES, DRUMS } from '../pattern/drums.js';
import type { Pattern } from '../pattern/pattern.js';
import { MidiFileError } from './errors.js';
import { readPerformance, type Performance } from './performance.js';
import { barCount, drumNoteCount, windowCount, windows } from './windows.js';

export interface ReadPatternsOptions {
  /**
   * Bars between the starts of consecutive patterns: 2 (default) cuts the file
   * into the patterns played one after the other (the inverse of
   * `patternsToMidi`); 1 gives the dataset's overlapping windows.
   */
  hopBars?: 1 | 2;
}

/** More than this many bars is refused rather than cut into thousands of patterns. */
export const MAX_BARS = 2048;

const KIT_PITCHES = DRUMS.flatMap((drum) => DRUM_PITCHES[drum]).sort((a, b) => a - b);

/**
 * A MIDI file of any tempo as 2-bar 4/4 Patterns, for the CLI and the box
 * (the dataset goes through `scanDataset`, which takes its tempo from info.csv).
 *
 * The grid follows the file's own tempo map: note times are converted to
 * quarter notes first, so a tempo change moves the grid with the music and an
 * offset stays a fraction of the local half step. A file without a time
 * signature is 4/4 (the MIDI default); any other signature is refused. The
 * length is the later of pretty_midi's end time and the end-of-track event, so
 * a pattern whose last bar is silent is still read back.
 */
export function readPatterns(bytes: Uint8Array, name: string, options: ReadPatternsOptions = {}): Pattern[] {
  return readPatternsOf(bytes, name, options, false).patterns;
}

/**
 * As readPatterns, but a file of one bar is played twice (as a drum machine
 * repeats a one-bar pattern) instead of refused: for scores, which a performer
 * often writes one bar long. `repeated` says whether that happened.
 */
export function readPatternsRepeatingOneBar(
  bytes: Uint8Array,
  name: string,
  options: ReadPatternsOptions = {},
): { patterns: Pattern[]; repeated: boolean } {
  return readPatternsOf(bytes, name, options, true);
}

function readPatternsOf(
  bytes: Uint8Array,
  name: string,
  options: ReadPatternsOptions,
  repeatOneBar: boolean,
): { patterns: Pattern[]; repeated: boolean } {
  const hop = options.hopBars ?? 2;
  if (hop !== 1 && hop !== 2) throw new RangeError(`readPatterns: option hopBars: expected 1 or 2, got ${String(hop)}`);
  const performance = readPerformance(bytes, name);
  if (drumNoteCount(performance) === 0) {
    throw new MidiFileError(
      name,
      `no drum notes (${performance.notes.length} notes, none on a kit pitch ${KIT_PITCHES.join(' ')})`,
    );
  }
  const other = performance.timeSignatures.find((ts) => ts.numerator !== 4 || ts.denominator !== 4);
  if (other) {
    throw new MidiFileError(
      name,
      `time signature ${other.numerator}/${other.denominator} at ${other.time.toFixed(2)} s: only 4/4 files can be read as patterns`,
    );
  }
  let inBeats = toQuarterNotes(performance);
  // In quarter-note time at 60 "bpm" one second is one beat: the windowing code runs unchanged.
  let bars = barCount(inBeats, 4);
  const repeated = repeatOneBar && bars === 1;
  if (repeated) {
    inBeats = repeatBar(inBeats);
    bars = 2;
  }
  if (bars > MAX_BARS)
    throw new MidiFileError(name, `${bars} bars long, more than the ${MAX_BARS} bars readPatterns accepts`);
  if (windowCount(bars) === 0) {
    throw new MidiFileError(name, `${bars} bar${bars === 1 ? '' : 's'} long: a pattern needs 2 bars of 4/4`);
  }
  const out: Pattern[] = [];
  for (const w of windows(inBeats, 60)) if (w.bar % hop === 0) out.push(w.pattern);
  return { patterns: out, repeated };
}

/** A one-bar performance in quarter notes, played twice. */
function repeatBar(inBeats: Performance): Performance {
  const BAR = 4;
  return {
    ...inBeats,
    notes: [...inBeats.notes, ...inBeats.notes.map((n) => ({ ...n, time: n.time + BAR, end: n.end + BAR }))],
    endTime: 2 * BAR,
    trackEndTime: 2 * BAR,
  };
}

/** The performance with every time in quarter notes since the start, through the tempo map. */
export function toQuarterNotes(performance: Performance): Performance {
  const tempos = performance.tempos.length > 0 ? performance.tempos : [{ time: 0, bpm: performance.bpm }];
  // Quarter notes elapsed at the start of each tempo segment.
  const startBeats: number[] = [0];
  for (let k = 1; k < tempos.length; k++) {
    startBeats.push(startBeats[k - 1] + ((tempos[k].time - tempos[k - 1].time) * tempos[k - 1].bpm) / 60);
  }
  const beats = (seconds: number): number => {
    let lo = 0,
      hi = tempos.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (tempos[mid].time <= seconds) lo = mid;
      else hi = mid - 1;
    }
    return startBeats[lo] + ((seconds - tempos[lo].time) * tempos[lo].bpm) / 60;
  };
  return {
    notes: performance.notes.map((n) => ({ ...n, time: beats(n.time), end: beats(n.end) })),
    timeSignatures: performance.timeSignatures.map((ts) => ({ ...ts, time: beats(ts.time) })),
    bpm: 60,
    tempos: [{ time: 0, bpm: 60 }],
    endTime: beats(Math.max(performance.endTime, performance.trackEndTime)),
    trackEndTime: beats(performance.trackEndTime),
  };
}
