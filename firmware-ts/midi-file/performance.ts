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
   * The time of the last event of any kind, as pretty_midi's get_end_time
   * computes it (note ends, control changes, pitch bends, time/key signatures,
   * text and lyrics): the dataset's bar count depends on this exact rule.
   */
  endTime: number;
}

interface TempoPoint { tick: number; seconds: number; microsPerQuarter: number }

const MAX_BYTES = 16 * 1024 * 1024;

/** Parses Standard MIDI File bytes; throws MidiFileError naming `name` on anything unusable. */
export function readPerformance(bytes: Uint8Array, name: string): Performance {
  if (bytes.length < 14) throw new MidiFileError(name, `not a MIDI file (only ${bytes.length} bytes)`);
  if (bytes.length > MAX_BYTES) throw new MidiFileError(name, `file is larger than ${MAX_BYTES} bytes`);
  let data: MidiData;
  try {
    data = midiFile.parseMidi(bytes);
  } catch (err) {
    throw new MidiFileError(name, `corrupt MIDI file (${errorText(err)})`);
  }
  const ppq = data.header.ticksPerBeat;
  if (!ppq || !Number.isFinite(ppq)) throw new MidiFileError(name, 'SMPTE time division is not supported (need ticks per quarter note)');
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
  const tempoMap = buildTempoMap(tempoEvents.map((e) => ({ tick: e.tick, micros: (e.event as { microsecondsPerBeat: number }).microsecondsPerBeat })), ppq);
  const toSeconds = (tick: number) => ticksToSeconds(tempoMap, tick, ppq);

  const notes: TimedNote[] = [];
  const timeSignatures: TimeSignature[] = [];
  let endTime = 0;
  const seen = (t: number) => { if (t > endTime) endTime = t; };

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
            const note = { time: toSeconds(start.tick), end: toSeconds(tick), pitch: e.noteNumber, velocity: start.velocity, channel: e.channel };
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
      }
    }
  });
  notes.sort((a, b) => a.time - b.time || a.pitch - b.pitch);
  const bpm = tempoMap.length > 0 && tempoMap[0].tick === 0 ? 60e6 / tempoMap[0].microsPerQuarter : 120;
  return { notes, timeSignatures, bpm, endTime };
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
  let lo = 0, hi = map.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (map[mid].tick <= tick) lo = mid; else hi = mid - 1;
  }
  const p = map[lo];
  return p.seconds + ((tick - p.tick) * p.microsPerQuarter) / 1e6 / ppq;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
