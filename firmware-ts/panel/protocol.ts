import { BUTTON_NAMES, GRID_KEYS, type ButtonName, type Rgb } from '../devices/interfaces.js';
import type { EditorMode } from '../controls/editor.js';
import type { GestureState, GrooveJSON } from '../controls/state.js';
import type { Reconstructions } from '../model/generator.js';
import type { PatternJSON } from '../pattern/pattern.js';
import { DRUM_COUNT } from '../pattern/drums.js';

/**
 * The WebSocket protocol between the virtual front panel (a browser page) and
 * the daemon. Everything the page sends is untrusted: `parseClientMessage`
 * is the only way in, checks every field and throws PanelMessageError with a
 * one-line reason. Times from the page are its own `performance.now()` in
 * milliseconds; the server maps them onto the daemon's clock (clock-sync.ts).
 */

/** A loop is 16 slots on the box: save/load take 0..15. */
export const SLOT_COUNT = 16;
/** The sequencer's tempo range: a page cannot ask for what the box would only clamp. */
export { MIN_BPM, MAX_BPM } from '../sequencer/tempo.js';
import { MIN_BPM, MAX_BPM } from '../sequencer/tempo.js';
/** One turn message may not move the tempo more than this (a wheel spin is several messages). */
export const MAX_DETENTS = 64;
/** Page times are performance.now() ms: a page open for a year is 3.2e10 ms; anything above is a lie. */
export const MAX_PAGE_TIME_MS = 1e12;
/** Model names are short identifiers the daemon maps onto its own folders; never a path. */
export const MODEL_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** Extra controls of the panel that the hardware does not have. */
export type PanelCommand =
  | { command: 'tempo'; bpm: number }
  | { command: 'model'; name: string }
  | { command: 'save'; slot: number }
  | { command: 'load'; slot: number }
  /** The daemon's sound card on or off (the page's own sound is the page's business). */
  | { command: 'mute'; output: 'box'; muted: boolean }
  /** MIDI-learn: the next MIDI note plays this drum (0..8); null stops waiting. */
  | { command: 'midi-learn'; drum: number | null }
  /** The per-take choice: a drum of the last MIDI take counts as given (its row from the take) or not. */
  | { command: 'take-drum'; drum: number; given: boolean }
  /** The system MIDI input notes come from (one the snapshot lists), until the box restarts; null: none. */
  | { command: 'midi-input'; port: string | null };

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

export type ClientMessage =
  | { type: 'key'; key: number; pressed: boolean; time: number }
  | { type: 'tap'; velocity: number; time: number }
  | { type: 'button'; button: ButtonName; pressed: boolean; time: number }
  | { type: 'turn'; detents: number; time: number }
  | { type: 'pong'; id: number; time: number }
  /** A note from the browser's Web MIDI (a note-on or note-off, three bytes), at the MIDI event's own timeStamp. */
  | { type: 'midi'; bytes: [number, number, number]; time: number }
  | ({ type: 'command' } & PanelCommand);

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

export class PanelMessageError extends Error {
  override name = 'PanelMessageError';
}

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

/**
 * Parses one text frame from a page. Accepts exactly the shapes of
 * ClientMessage; anything else throws PanelMessageError naming the field.
 */
export function parseClientMessage(text: string): ClientMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PanelMessageError(`not JSON (${text.length} characters)`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new PanelMessageError(`expected an object, got ${describe(raw)}`);
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'key':
      only(m, ['type', 'key', 'pressed', 'time']);
      return { type: 'key', key: integer(m, 'key', 0, GRID_KEYS - 1), pressed: bool(m, 'pressed'), time: pageTime(m) };
    case 'tap':
      only(m, ['type', 'velocity', 'time']);
      return { type: 'tap', velocity: number(m, 'velocity', 0, 1), time: pageTime(m) };
    case 'button': {
      only(m, ['type', 'button', 'pressed', 'time']);
      const button = m.button;
      if (typeof button !== 'string' || !(BUTTON_NAMES as readonly string[]).includes(button)) {
        throw new PanelMessageError(`button: expected one of ${BUTTON_NAMES.join(', ')}, got ${describe(button)}`);
      }
      return { type: 'button', button: button as ButtonName, pressed: bool(m, 'pressed'), time: pageTime(m) };
    }
    case 'turn': {
      only(m, ['type', 'detents', 'time']);
      const detents = integer(m, 'detents', -MAX_DETENTS, MAX_DETENTS);
      if (detents === 0) throw new PanelMessageError('detents: expected a non-zero integer, got 0');
      return { type: 'turn', detents, time: pageTime(m) };
    }
    case 'pong':
      only(m, ['type', 'id', 'time']);
      return { type: 'pong', id: integer(m, 'id', 0, Number.MAX_SAFE_INTEGER), time: pageTime(m) };
    case 'midi': {
      only(m, ['type', 'bytes', 'time']);
      const b = m.bytes;
      // Notes only: the box takes nothing else from a page (no clock, no sysex).
      if (
        !Array.isArray(b) ||
        b.length !== 3 ||
        !b.every((x) => Number.isInteger(x)) ||
        b[0] < 0x80 ||
        b[0] > 0x9f ||
        b[1] < 0 ||
        b[1] > 127 ||
        b[2] < 0 ||
        b[2] > 127
      )
        throw new PanelMessageError(`bytes: expected a note-on or note-off as three bytes, got ${describe(b)}`);
      return { type: 'midi', bytes: [b[0], b[1], b[2]], time: pageTime(m) };
    }
    case 'command':
      return { type: 'command', ...parseCommand(m) };
    default:
      throw new PanelMessageError(
        `type: expected key, tap, button, turn, pong, midi or command, got ${describe(m.type)}`,
      );
  }
}

function parseCommand(m: Record<string, unknown>): PanelCommand {
  switch (m.command) {
    case 'tempo':
      only(m, ['type', 'command', 'bpm']);
      return { command: 'tempo', bpm: number(m, 'bpm', MIN_BPM, MAX_BPM) };
    case 'model': {
      only(m, ['type', 'command', 'name']);
      const name = m.name;
      if (typeof name !== 'string' || !MODEL_NAME.test(name))
        throw new PanelMessageError(
          `name: expected a model name like "ag11" (a-z, 0-9, _ and -), got ${describe(name)}`,
        );
      return { command: 'model', name };
    }
    case 'save':
    case 'load':
      only(m, ['type', 'command', 'slot']);
      return { command: m.command, slot: integer(m, 'slot', 0, SLOT_COUNT - 1) };
    case 'mute': {
      only(m, ['type', 'command', 'output', 'muted']);
      if (m.output !== 'box')
        throw new PanelMessageError(`output: expected "box" (the daemon's sound card), got ${describe(m.output)}`);
      return { command: 'mute', output: 'box', muted: bool(m, 'muted') };
    }
    case 'midi-learn': {
      only(m, ['type', 'command', 'drum']);
      return { command: 'midi-learn', drum: m.drum === null ? null : integer(m, 'drum', 0, DRUM_COUNT - 1) };
    }
    case 'take-drum':
      only(m, ['type', 'command', 'drum', 'given']);
      return { command: 'take-drum', drum: integer(m, 'drum', 0, DRUM_COUNT - 1), given: bool(m, 'given') };
    case 'midi-input': {
      only(m, ['type', 'command', 'port']);
      const port = m.port;
      if (port !== null && (typeof port !== 'string' || port.length === 0 || port.length > MAX_PORT_NAME))
        throw new PanelMessageError(
          `port: expected a MIDI input name (1..${MAX_PORT_NAME} characters) or null, got ${describe(port)}`,
        );
      return { command: 'midi-input', port };
    }
    default:
      throw new PanelMessageError(
        `command: expected tempo, model, save, load, mute, midi-learn, take-drum or midi-input, got ${describe(m.command)}`,
      );
  }
}

/** Unknown fields are refused rather than ignored: a page that sends them is not the page we wrote. */
function only(m: Record<string, unknown>, fields: string[]): void {
  for (const key of Object.keys(m)) {
    if (!fields.includes(key)) throw new PanelMessageError(`${String(m.type)}: unexpected field ${describe(key)}`);
  }
}

function number(m: Record<string, unknown>, field: string, lo: number, hi: number): number {
  const v = m[field];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi)
    throw new PanelMessageError(`${field}: expected a number ${lo}..${hi}, got ${describe(v)}`);
  return v;
}

function integer(m: Record<string, unknown>, field: string, lo: number, hi: number): number {
  const v = m[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
    throw new PanelMessageError(`${field}: expected an integer ${lo}..${hi}, got ${describe(v)}`);
  return v;
}

function bool(m: Record<string, unknown>, field: string): boolean {
  const v = m[field];
  if (typeof v !== 'boolean') throw new PanelMessageError(`${field}: expected true or false, got ${describe(v)}`);
  return v;
}

function pageTime(m: Record<string, unknown>): number {
  const v = m.time;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_PAGE_TIME_MS) {
    throw new PanelMessageError(
      `time: expected the page's performance.now() in ms (0..${MAX_PAGE_TIME_MS}), got ${describe(v)}`,
    );
  }
  return v;
}

/** A short, safe rendering of a value for an error line: never echoes more than 40 characters back. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? typeof v);
  } catch {
    s = typeof v;
  }
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
