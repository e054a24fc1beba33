import midiFile from 'midi-file';
import type { MidiData, MidiEvent } from 'midi-file';
import { MidiFileError } from './errors.js';

/** A note with times in seconds, from any channel or track. */
export interface TimedNote {
  time: number;
  end: number;
  pitch: number;
  velocity: number;
  channel: number;
}

export interface TimeSignature {
  time: number;
  numerator: number;
  denominator: number;
}

/** A MIDI file read into seconds: what the windowing and the CLI work from. */
export interface Performance {
  notes: TimedNote[];
  timeSignatures: TimeSignature[];
  /** First tempo (quarter notes per minute), 120 when the file sets none. */
  bpm: number;
  /**
   * The tempo map in seconds: where each tempo starts (the first at time 0).
   * Like pretty_midi, only the first track's tempo events count.
   */
  tempos: { time: number; bpm: number }[];
  /**
   * The time of the last event of any kind, as pretty_midi's get_end_time
   * computes it (note ends, control changes, pitch bends, time/key signatures,
   * text and lyrics): the dataset's bar count depends on this exact rule.
   */
  endTime: number;
  /**
   * The latest end-of-track event: where a sequencer ends the file. pretty_midi
   * (and so the dataset rule) ignores it; reading a file written by a DAW or by
   * write.ts needs it, because a pattern whose last bar is silent ends there.
   */
  trackEndTime: number;
}

interface TempoPoint {
  tick: number;
  seconds: number;
  microsPerQuarter: number;
}

const MAX_BYTES = 16 * 1024 * 1024;
/**
 * Longer than this is taken as corruption: a mutated delta time or division can
 * stretch a file to years, and cutting that into 2-bar windows would never end.
 * The longest Groove MIDI Dataset file is a few minutes.
 */
export const MAX_SECONDS = 3600;

/** Parses Standard MIDI File bytes; throws MidiFileError naming `name` on anything unusable. */
export function readPerformance(bytes: Uint8Array, name: string): Performance {
  if (bytes.length < 14) throw new MidiFileError(name, `not a MIDI file (only ${bytes.length} bytes)`);
  if (bytes.length > MAX_BYTES) throw new MidiFileError(name, `file is larger than ${MAX_BYTES} bytes`);
  // The library trusts every length it reads: a chunk or meta length past the
  // end of the data, or a varint longer than 4 bytes (which overflows its 32-bit
  // shift and turns negative), moves its read position backwards and it loops
  // for ever. Check the byte structure first so that it only sees sound files.
  const structural = checkStructure(bytes);
  if (structural) throw new MidiFileError(name, `corrupt MIDI file (${structural})`);
  let data: MidiData;
  try {
    data = midiFile.parseMidi(bytes);
  } catch (err) {
    throw new MidiFileError(name, `corrupt MIDI file (${errorText(err)})`);
  }
  const ppq = data.header.ticksPerBeat;
  if (!ppq || !Number.isFinite(ppq))
    throw new MidiFileError(name, 'SMPTE time division is not supported (need ticks per quarter note)');
  if (data.tracks.length === 0) throw new MidiFileError(name, 'the file has no tracks');

  // Absolute ticks per track; a NaN anywhere means the parser ran past a truncated chunk.
  const tracks = data.tracks.map((track, t) => {
    let tick = 0;
    return track.map((event) => {
      tick += event.deltaTime;
      if (!Number.isFinite(tick)) throw new MidiFileError(name, `corrupt MIDI file (bad delta time in track ${t})`);
      return { tick, event };
    });
  });

  // pretty_midi reads tempo changes from the first track only (type-1 files keep them there).
  const tempoEvents = tracks[0].filter((e) => e.event.type === 'setTempo');
  const tempoMap = buildTempoMap(
    tempoEvents.map((e) => ({
      tick: e.tick,
      micros: (e.event as { microsecondsPerBeat: number }).microsecondsPerBeat,
    })),
    ppq,
  );
  const toSeconds = (tick: number) => ticksToSeconds(tempoMap, tick, ppq);

  const notes: TimedNote[] = [];
  const timeSignatures: TimeSignature[] = [];
  let endTime = 0;
  let trackEndTime = 0;
  const seen = (t: number) => {
    if (t > endTime) endTime = t;
  };

  tracks.forEach((track, trackIndex) => {
    const open = new Map<number, { tick: number; velocity: number }[]>();
    for (const { tick, event } of track) {
      const type = event.type;
      if (type === 'noteOn' || type === 'noteOff') {
        const e = event as MidiEvent & { channel: number; noteNumber: number; velocity: number };
        const key = e.channel * 128 + e.noteNumber;
        if (type === 'noteOn' && e.velocity > 0) {
          const stack = open.get(key) ?? [];
          stack.push({ tick, velocity: e.velocity });
          open.set(key, stack);
        } else {
          const stack = open.get(key);
          if (!stack || stack.length === 0) continue;
          // Close every open note of this pitch, as pretty_midi does.
          for (const start of stack) {
            const note = {
              time: toSeconds(start.tick),
              end: toSeconds(tick),
              pitch: e.noteNumber,
              velocity: start.velocity,
              channel: e.channel,
            };
            notes.push(note);
            seen(note.end);
          }
          open.delete(key);
        }
      } else if (type === 'controller' || type === 'pitchBend') {
        seen(toSeconds(tick));
      } else if (type === 'timeSignature') {
        const e = event as MidiEvent & { numerator: number; denominator: number };
        if (trackIndex === 0) {
          timeSignatures.push({ time: toSeconds(tick), numerator: e.numerator, denominator: e.denominator });
          seen(toSeconds(tick));
        }
      } else if (type === 'keySignature') {
        if (trackIndex === 0) seen(toSeconds(tick));
      } else if (type === 'text' || type === 'lyrics') {
        seen(toSeconds(tick));
      } else if (type === 'endOfTrack') {
        trackEndTime = Math.max(trackEndTime, toSeconds(tick));
      }
    }
  });
  const longest = Math.max(endTime, trackEndTime);
  if (!(longest <= MAX_SECONDS)) {
    throw new MidiFileError(
      name,
      `lasts ${Number.isFinite(longest) ? Math.round(longest) : longest} s, more than the ${MAX_SECONDS} s a drum performance can plausibly take (corrupt delta times or division?)`,
    );
  }
  notes.sort((a, b) => a.time - b.time || a.pitch - b.pitch);
  const bpm = tempoMap.length > 0 && tempoMap[0].tick === 0 ? 60e6 / tempoMap[0].microsPerQuarter : 120;
  const tempos = tempoMap.map((p) => ({ time: p.seconds, bpm: 60e6 / p.microsPerQuarter }));
  return { notes, timeSignatures, bpm, tempos, endTime, trackEndTime };
}

function buildTempoMap(events: { tick: number; micros: number }[], ppq: number): TempoPoint[] {
  const map: TempoPoint[] = [{ tick: 0, seconds: 0, microsPerQuarter: 500000 }];
  for (const { tick, micros } of events.sort((a, b) => a.tick - b.tick)) {
    if (!(micros > 0)) continue;
    const last = map[map.length - 1];
    const seconds = last.seconds + ((tick - last.tick) * last.microsPerQuarter) / 1e6 / ppq;
    if (tick === last.tick) map[map.length - 1] = { tick, seconds: last.seconds, microsPerQuarter: micros };
    else map.push({ tick, seconds, microsPerQuarter: micros });
  }
  return map;
}

function ticksToSeconds(map: TempoPoint[], tick: number, ppq: number): number {
  let lo = 0,
    hi = map.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (map[mid].tick <= tick) lo = mid;
    else hi = mid - 1;
  }
  const p = map[lo];
  return p.seconds + ((tick - p.tick) * p.microsPerQuarter) / 1e6 / ppq;
}

/**
 * Walks the chunk and event structure the library is about to parse (the
 * header and the first `numTracks` chunks, as the library reads them) and
 * returns what is wrong, or null. It checks lengths only; the library still
 * decodes every event.
 */
function checkStructure(bytes: Uint8Array): string | null {
  const u32 = (at: number) => ((bytes[at] << 24) >>> 0) + (bytes[at + 1] << 16) + (bytes[at + 2] << 8) + bytes[at + 3];
  const id = (at: number) => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
  if (id(0) !== 'MThd') return `expected the "MThd" header, got ${JSON.stringify(id(0))}`;
  const headerLength = u32(4);
  if (headerLength < 6) return `header chunk is ${headerLength} bytes, expected at least 6`;
  if (8 + headerLength > bytes.length)
    return `header chunk length ${headerLength} runs past the end of the file (${bytes.length} bytes)`;
  const numTracks = (bytes[10] << 8) + bytes[11];
  let at = 8 + headerLength;
  for (let track = 0; track < numTracks && at < bytes.length; track++) {
    if (at + 8 > bytes.length) return `track ${track} chunk header is truncated at byte ${at}`;
    const length = u32(at + 4);
    const start = at + 8;
    const end = start + length;
    if (end > bytes.length)
      return `track ${track} chunk length ${length} runs past the end of the file (${bytes.length} bytes)`;
    if (id(at) === 'MTrk') {
      const problem = checkTrackEvents(bytes, start, end);
      if (problem) return `track ${track}: ${problem}`;
    }
    at = end;
  }
  return null;
}

function checkTrackEvents(bytes: Uint8Array, start: number, end: number): string | null {
  let at = start;
  let running = -1;
  // A variable-length quantity: at most 4 bytes (the SMF limit, 0x0FFFFFFF), inside the chunk.
  const varint = (): number => {
    let value = 0;
    for (let k = 0; k < 4; k++) {
      if (at >= end) return -1;
      const b = bytes[at++];
      value = value * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) return value;
    }
    return -2;
  };
  const varintProblem = (v: number, what: string, from: number) =>
    v === -1
      ? `${what} at byte ${from} is truncated by the track end (byte ${end})`
      : v === -2
        ? `${what} at byte ${from} is longer than 4 bytes`
        : null;
  while (at < end) {
    const deltaAt = at;
    const delta = varint();
    const deltaProblem = varintProblem(delta, 'delta time', deltaAt);
    if (deltaProblem) return deltaProblem;
    if (at >= end) return `event is truncated at byte ${at}`;
    const status = bytes[at];
    if (status === 0xff || status === 0xf0 || status === 0xf7) {
      at += status === 0xff ? 2 : 1; // meta type byte, or none for sysex
      if (at > end) return `meta event is truncated at byte ${end}`;
      const lengthAt = at;
      const length = varint();
      const lengthProblem = varintProblem(length, 'meta/sysex length', lengthAt);
      if (lengthProblem) return lengthProblem;
      if (at + length > end) return `event data of ${length} bytes at byte ${at} runs past the track end (byte ${end})`;
      at += length;
    } else if (status >= 0xf0) {
      return `unknown status byte 0x${status.toString(16)} at byte ${at}`;
    } else {
      let kind = status;
      if (status & 0x80) {
        running = status;
        at++;
      } else if (running < 0) {
        return `running status before any status byte at byte ${at}`;
      } else {
        kind = running;
      }
      const dataBytes = kind >> 4 === 0xc || kind >> 4 === 0xd ? 1 : 2;
      if (at + dataBytes > end) return `channel event is truncated at byte ${end}`;
      at += dataBytes;
    }
  }
  return null;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
