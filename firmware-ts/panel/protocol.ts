import type { Rgb } from '../devices/interfaces.js';
import type { EditorMode } from '../controls/editor.js';
import type { GestureState, GrooveJSON } from '../controls/state.js';
import type { Reconstructions } from '../model/generator.js';
import type { PatternJSON } from '../pattern/pattern.js';

/**
 * The WebSocket protocol between the virtual front panel (a browser page) and
 * the daemon: what each side sends, shared by the page's bundle and the daemon.
 * Everything the page sends is untrusted: `parseClientMessage`
 * (client-messages.ts, the daemon's side only) is the only way in. Times from
 * the page are its own `performance.now()` in milliseconds; the server maps
 * them onto the daemon's clock (clock-sync.ts).
 */

/** A loop is 16 slots on the box: save/load take 0..15. */
export const SLOT_COUNT = 16;
/** The sequencer's tempo range: a page cannot ask for what the box would only clamp. */
export { MIN_BPM, MAX_BPM } from '../sequencer/tempo.js';
/** One turn message may not move the tempo more than this (a wheel spin is several messages). */
export const MAX_DETENTS = 64;
/** Page times are performance.now() ms: a page open for a year is 3.2e10 ms; anything above is a lie. */
export const MAX_PAGE_TIME_MS = 1e12;
/** Model names are short identifiers the daemon maps onto its own folders; never a path. */
export const MODEL_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

// What a page may send: the schema, and so these types, live beside the parser.
export type { ClientMessage, PanelCommand } from './client-messages.js';

/** The longest MIDI port name a page may send (ALSA's are about 60 characters). */
export const MAX_PORT_NAME = 128;

/** The MIDI note input as the panel shows it. */
export interface MidiInSnapshot {
  /** The input notes are taken from (configured or picked), null: none. */
  port: string | null;
  /** The input open now, null while missing. */
  connected: string | null;
  /** The system's inputs to pick from. */
  inputs: string[];
  channel: number | null;
  accent: 'velocity' | 'note' | 'keep';
  accentNote: number | null;
  /** The note each drum answers to (DRUMS order). */
  notes: string[];
  /** The drum MIDI-learn waits a note for, null: none. */
  learning: number | null;
  /** The latest notes, newest first; meaning: the drum played (-1: a tap only), the accent note, or another channel's. */
  seen: {
    time: number;
    channel: number;
    note: number;
    velocity: number;
    meaning: number | 'accent' | 'ignored';
    input: string;
  }[];
  /** The drums of the last take played on drum notes, and which count as given; null before one. */
  take: { played: boolean[]; given: boolean[] } | null;
}

/** The quietest level the microphone's meter shows (dBFS): anything below reads as this. */
export const METER_FLOOR_DB = -90;

/** The box's microphone (or audio interface) as the panel shows it. */
export interface MicrophoneSnapshot {
  /** The ALSA device it captures from. */
  device: string;
  /**
   * The loudest peak and its block's RMS (dBFS, whole dB, METER_FLOOR_DB for
   * silence) since the meter was last read: read ten times a second, and a
   * snapshot goes out only when the level moved.
   */
  peak: number;
  rms: number;
  /** The onset detector's sensitivity, 0..1 (the `microphone` command sets it). */
  sensitivity: number;
  /** What is wrong (capture ended), null while it listens. */
  trouble: string | null;
}

/** The model's interpretation as plain JSON (rounded): per-drum hit probabilities, the groove and the accent it heard. */
export interface ReconstructionsJSON {
  drums?: (number[] | null)[];
  groove?: GrooveJSON;
  accent?: number[];
}

/**
 * Everything the page shows, pushed by the daemon with `publish`. The LED
 * colours come from the grid's `show` as well (like the hardware), so a
 * snapshot's `leds` is the fallback for a page that just connected.
 */
export interface PanelSnapshot {
  leds: Rgb[];
  /** The step being played (0..31), or null when stopped. */
  playhead: number | null;
  playing: boolean;
  bpm: number;
  /** The bar shown on the grid (0 = bar 1). */
  page: 0 | 1;
  mode: EditorMode;
  /** The drum being edited (0..8, DRUMS order). */
  drum: number;
  /** Bar 2 repeats bar 1 (edits of bar 1 play in both bars) until bar 2 is edited on its own; the same as `gestures.barsLinked`. */
  barsLinked: boolean;
  /** What the performer said: per-drum scores (null = unspecified, all zero = empty), groove, accent. */
  gestures: GestureState;
  /** The loop now playing. */
  pattern: PatternJSON;
  /** The model's reconstruction of the gestures after the last generation; null before the first. */
  reconstructions: ReconstructionsJSON | null;
  model: string;
  /** Models the panel may select (the `model` command accepts only these when given). */
  models?: string[];
  /** Tap recorder phase, for the pad's light. */
  take?: 'idle' | 'count-in' | 'recording';
  generating?: boolean;
  /**
   * Generated loops landed since the daemon started; only ever grows. One
   * snapshot goes out per frame (and a slow page's frames are dropped), so a
   * fast generation can begin and end unseen: a page counts new loops by this.
   */
  generations: number;
  /** During the count-in: beats left before the take starts (4, 3, 2, 1); null otherwise. */
  countIn?: number | null;
  /**
   * The loop clock on the daemon's clock (seconds): the grid time of a loop
   * start (step 0) and the length of a 16th, so a page can play the loop in
   * time with the box. null while stopped.
   */
  transport?: { loopStart: number; stepSeconds: number } | null;
  /** The daemon's own audio output and its mute; null when it has none. */
  boxAudio?: { kind: 'sound card' | 'silent sink'; muted: boolean } | null;
  /** MIDI notes as gestures; absent or null when the box takes none. */
  midiIn?: MidiInSnapshot | null;
  /** The box's microphone as a tap pad; absent or null when it has none. */
  microphone?: MicrophoneSnapshot | null;
  /** Most recent first; one line each. */
  status: string[];
}

export type ServerMessage =
  | { type: 'hello'; protocol: 1; maxPayload: number; buttons: readonly string[] }
  | { type: 'snapshot'; snapshot: PanelSnapshot }
  | { type: 'leds'; leds: Rgb[] }
  | { type: 'ping'; id: number }
  /** After each pong: daemon time = page performance.now() / 1000 + offset (seconds), within +-error. */
  | { type: 'clock'; offset: number; error: number }
  | { type: 'error'; error: string };

/** Rounded plain arrays, so a snapshot is small and JSON-safe (typed arrays stringify as objects). */
export function reconstructionsToJSON(r: Reconstructions | null | undefined): ReconstructionsJSON | null {
  if (!r) return null;
  const out: ReconstructionsJSON = {};
  if (r.drums) out.drums = r.drums.map((row) => (row ? Array.from(row, round3) : null));
  if (r.groove)
    out.groove = {
      hits: Array.from(r.groove.hits, round3),
      velocities: Array.from(r.groove.velocities, round3),
      offsets: Array.from(r.groove.offsets, round3),
    };
  if (r.accent) out.accent = Array.from(r.accent, round3);
  return out;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
