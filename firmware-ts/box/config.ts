import fs from 'node:fs';
import path from 'node:path';
import { resolveNoteMap, NoteMapError, type NoteMap } from '../outputs/midi/note-map.js';
import type { MidiAccent } from '../inputs/midi/note-gestures.js';
import { emptyBindings, type DrumBindings } from '../inputs/midi/note-map-in.js';
import { DRUMS } from '../pattern/drums.js';
import { badTokenCharacter, isLoopbackAddress, MIN_TOKEN_LENGTH } from '../panel/bind-rules.js';
import { MAX_BPM, MIN_BPM } from '../sequencer/tempo.js';
import { jsonErrorText } from '../storage/json-error.js';

/** Where the Pi's config lives unless --config says otherwise. */
export const DEFAULT_CONFIG_FILE = '/etc/groovebox/config.json';
export const DEFAULT_STATE_DIR = '/var/lib/groovebox';

/** The models the box can play: the 11-input model by default; the 2-input model and the baseline as modes. */
export const BOX_MODELS = ['ag11', 'ag2', 'baseline'] as const;
export type BoxModel = (typeof BOX_MODELS)[number];

/**
 * Everything a performer or installer may set. One JSON file, every key
 * optional (defaults below); unknown keys are refused so a typo is not
 * silently ignored on stage.
 */
export interface BoxConfig {
  /** Which model plays: ag11 (default), ag2 or baseline. */
  model: BoxModel;
  /** Folder holding models/<name>/ (null: the project's models/ folder). */
  modelsDir: string | null;
  /** tfjs backend for the generation worker (null: the best available). */
  backend: 'tensorflow' | 'wasm' | 'cpu' | null;
  /** Slots, the working state and exports (must be writable: systemd's ReadWritePaths). */
  stateDir: string;
  /** Tempo at first boot (a restored state brings its own). */
  bpm: number;
  /** Scale of the prior samples for what the performer left unspecified (1 = the prior). */
  temperature: number;
  /** Where a generated loop takes over: at the next loop start or the next bar. */
  switchAt: 'loop' | 'bar';
  /** Velocity (0..1) of the plain step sequencer that plays the score when no model loads. */
  stepVelocity: number;
  /** auto: real panel hardware where found, the virtual panel for the rest; simulate: the virtual panel only. */
  devices: 'auto' | 'simulate';
  /** Start playing at boot (a box on stage starts silent; a soak run starts playing). */
  autoplay: boolean;
  midi: {
    enabled: boolean;
    /** A system output (exact name or part of it); null: a virtual port named "GrooveBox". */
    port: string | null;
    /** { preset: gm | tr-8s | digitakt | volca-beats, drums: { ride: { note: 53 } } } */
    noteMap: unknown;
    /** Send MIDI clock, start/stop/continue and song position. */
    clock: boolean;
    /** A system MIDI input (exact name or part of it) whose clock the box follows: tempo and start/stop; null: its own tempo. */
    follow: string | null;
    /** Seconds from note-on to note-off. */
    noteLength: number;
    /** MIDI notes as gestures: taps of the groove, a score played on drum notes, the accent. */
    input: MidiInputConfig;
  };
  audio: {
    enabled: boolean;
    gain: number;
  };
  panel: {
    enabled: boolean;
    /** 127.0.0.1 by default; any other address needs a token. */
    host: string;
    port: number;
    token: string | null;
  };
}

export interface MidiInputConfig {
  /** A system MIDI input (exact name or part of it) whose notes are gestures; may be the same as `follow`; null: none. */
  port: string | null;
  /** Only notes on this channel (1..16); null: any channel. */
  channel: number | null;
  /** velocity: the paper's rule over the take; note: `accentNote` marks accents; keep: as the pad (the box's accent source). */
  accent: MidiAccent;
  accentNote: number | null;
  /** Notes bound to drums beyond the defaults: { snare: { note: 40, channel: 10 } } (channel absent: any). */
  drums: DrumBindings;
}

export function defaultMidiInput(): MidiInputConfig {
  return { port: null, channel: null, accent: 'velocity', accentNote: null, drums: emptyBindings() };
}

export function defaultConfig(): BoxConfig {
  return {
    model: 'ag11',
    modelsDir: null,
    backend: null,
    stateDir: DEFAULT_STATE_DIR,
    bpm: 120,
    temperature: 1,
    switchAt: 'loop',
    stepVelocity: 0.8,
    devices: 'auto',
    autoplay: false,
    midi: {
      enabled: true,
      port: null,
      noteMap: { preset: 'gm' },
      clock: true,
      follow: null,
      noteLength: 0.05,
      input: defaultMidiInput(),
    },
    audio: { enabled: true, gain: 0.8 },
    panel: { enabled: true, host: '127.0.0.1', port: 8080, token: null },
  };
}

export { MIN_TOKEN_LENGTH };

/** One line naming the file, the key, what came and what was expected. Exit code 1. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly key: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }

  static forKey(file: string, key: string, value: unknown, expected: string): ConfigError {
    return new ConfigError(file, key, `${key} = ${show(value)}: expected ${expected}`);
  }
}

function show(value: unknown): string {
  if (value === undefined) return '(missing)';
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** "a space", "a tab", or its code point: the token itself stays unshown. */
function describeChar(code: number): string {
  if (code === 0x20) return 'a space';
  if (code === 0x09) return 'a tab';
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

type Check = (value: unknown, key: string) => unknown;

/**
 * Validates a parsed config object against the schema and fills in defaults.
 * `where` names the source in errors (the file, or "--port" for a flag).
 */
export function validateConfig(raw: unknown, where: string): BoxConfig & { noteMapResolved: NoteMap } {
  const defaults = defaultConfig();
  const fail = (key: string, value: unknown, expected: string): never => {
    throw ConfigError.forKey(where, key, value, expected);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('(top level)', raw, 'a JSON object');

  const oneOf =
    <T extends string>(options: readonly T[]): Check =>
    (v, key) =>
      typeof v === 'string' && (options as readonly string[]).includes(v)
        ? v
        : fail(key, v, `one of ${options.join(', ')}`);
  const num =
    (lo: number, hi: number, integer = false): Check =>
    (v, key) =>
      typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi && (!integer || Number.isInteger(v))
        ? v
        : fail(key, v, `${integer ? 'an integer' : 'a number'} in ${lo}..${hi}`);
  const bool: Check = (v, key) => (typeof v === 'boolean' ? v : fail(key, v, 'true or false'));
  const nonEmpty =
    (what: string): Check =>
    (v, key) =>
      typeof v === 'string' && v.trim() !== '' ? v : fail(key, v, what);
  const orNull =
    (check: Check): Check =>
    (v, key) =>
      v === null ? null : check(v, key);
  const absolutePath: Check = (v, key) =>
    typeof v === 'string' && path.isAbsolute(v) ? v : fail(key, v, 'an absolute folder path');
  // The value is never shown: the file may be readable by more people than the panel should be.
  const token: Check = (v, key) => {
    if (typeof v !== 'string' || v.length < MIN_TOKEN_LENGTH)
      return fail(
        key,
        typeof v === 'string' ? `(${v.length} characters)` : v,
        `a string of at least ${MIN_TOKEN_LENGTH} characters, or null`,
      );
    // The panel checks the same when it starts (after the model has loaded); refusing here saves a restart loop.
    const bad = badTokenCharacter(v);
    if (bad >= 0)
      return fail(
        key,
        `(${v.length} characters; character ${bad + 1} is ${describeChar(v.codePointAt(bad)!)})`,
        'printable ASCII without spaces (e.g. openssl rand -hex 16), or null',
      );
    return v;
  };
  const object =
    (shape: Record<string, Check>, base: Record<string, unknown>, prefix: string): Check =>
    (v, key) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(key, v, 'an object');
      const out: Record<string, unknown> = { ...base };
      for (const [k, value] of Object.entries(v as Record<string, unknown>)) {
        // Own keys only: "constructor" or "__proto__" in the file must not find Object.prototype's.
        if (!Object.hasOwn(shape, k))
          fail(`${prefix}${k}`, value, `no such key (known: ${Object.keys(shape).join(', ')})`);
        out[k] = shape[k](value, `${prefix}${k}`);
      }
      return out;
    };

  const schema: Record<string, Check> = {
    model: oneOf(BOX_MODELS),
    modelsDir: orNull(absolutePath),
    backend: orNull(oneOf(['tensorflow', 'wasm', 'cpu'] as const)),
    stateDir: absolutePath,
    bpm: num(MIN_BPM, MAX_BPM),
    temperature: num(0, 3),
    switchAt: oneOf(['loop', 'bar'] as const),
    stepVelocity: num(0.01, 1),
    devices: oneOf(['auto', 'simulate'] as const),
    autoplay: bool,
    midi: object(
      {
        enabled: bool,
        port: orNull(nonEmpty('a MIDI output name (or part of it), or null for the virtual port "GrooveBox"')),
        noteMap: (v) => v,
        clock: bool,
        follow: orNull(nonEmpty('a MIDI input name (or part of it) to take the clock from, or null')),
        noteLength: num(0.001, 10),
        input: object(
          {
            port: orNull(nonEmpty('a MIDI input name (or part of it) to take notes from, or null')),
            channel: orNull(num(1, 16, true)),
            accent: oneOf(['velocity', 'note', 'keep'] as const),
            accentNote: orNull(num(0, 127, true)),
            drums: (v, key) => drumBindings(v, key, fail),
          },
          defaults.midi.input as unknown as Record<string, unknown>,
          'midi.input.',
        ),
      },
      defaults.midi,
      'midi.',
    ),
    audio: object({ enabled: bool, gain: num(0, 1) }, defaults.audio, 'audio.'),
    panel: object(
      {
        enabled: bool,
        host: nonEmpty('an IP address or host name to bind, e.g. 127.0.0.1'),
        port: num(0, 65535, true), // 0: any free port (tests, several boxes on one machine)
        token: orNull(token),
      },
      defaults.panel,
      'panel.',
    ),
  };
  const config = object(schema, defaults as unknown as Record<string, unknown>, '')(raw, '(top level)') as BoxConfig;

  const input = config.midi.input;
  if (input.accent === 'note' && input.accentNote === null)
    fail('midi.input.accentNote', null, 'a note 0..127 when midi.input.accent is "note"');

  let noteMapResolved: NoteMap;
  try {
    noteMapResolved = resolveNoteMap(config.midi.noteMap, 'midi.noteMap');
  } catch (err) {
    // The note map names its own key path (midi.noteMap.drums.ride.note) and value.
    if (err instanceof NoteMapError) throw new ConfigError(where, err.message.split(':')[0], err.message);
    throw err;
  }
  if (!isLoopbackAddress(config.panel.host) && config.panel.token === null) {
    fail(
      'panel.host',
      config.panel.host,
      `127.0.0.1 or ::1, unless panel.token (or --token) is set: a LAN bind needs a token`,
    );
  }
  return { ...config, noteMapResolved };
}

/** `{ snare: { note: 40, channel: 10 } }` -> one binding per drum (channel absent or null: any channel). */
function drumBindings(
  v: unknown,
  key: string,
  fail: (key: string, value: unknown, expected: string) => never,
): DrumBindings {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(key, v, 'an object keyed by drum name');
  const out = emptyBindings();
  for (const [name, value] of Object.entries(v as Record<string, unknown>)) {
    const drum = (DRUMS as readonly string[]).indexOf(name);
    if (drum < 0) fail(`${key}.${name}`, value, `a drum name (one of ${DRUMS.join(', ')})`);
    const b = value as Record<string, unknown>;
    if (typeof b !== 'object' || b === null || Array.isArray(b)) fail(`${key}.${name}`, value, '{ note, channel? }');
    const extra = Object.keys(b).find((k) => k !== 'note' && k !== 'channel');
    if (extra !== undefined) fail(`${key}.${name}.${extra}`, b[extra], 'no such key (known: note, channel)');
    const note = b.note;
    if (typeof note !== 'number' || !Number.isInteger(note) || note < 0 || note > 127)
      fail(`${key}.${name}.note`, note, 'an integer in 0..127');
    const channel = b.channel ?? null;
    if (channel !== null && (typeof channel !== 'number' || !Number.isInteger(channel) || channel < 1 || channel > 16))
      fail(`${key}.${name}.channel`, channel, 'an integer in 1..16, or null for any channel');
    out[drum] = { note: note as number, channel: channel as number | null };
  }
  return out;
}

/** What the command line may override (already parsed by the start command). */
export interface ConfigOverrides {
  port?: number;
  host?: string;
  token?: string;
  simulate?: boolean;
  stateDir?: string;
  model?: string;
  autoplay?: boolean;
}

export type LoadedConfig = BoxConfig & { noteMapResolved: NoteMap; source: string; modelPinned: boolean };

/**
 * Reads the config file (a missing file means defaults, said once in the
 * log), applies the flags, validates the result. Throws ConfigError (one line).
 */
export function loadConfig(file: string, overrides: ConfigOverrides, log: (message: string) => void): LoadedConfig {
  let raw: Record<string, unknown>;
  let source = file;
  let text: string | null = null;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new ConfigError(file, '(file)', `cannot read it (${code ?? (err as Error).message})`);
  }
  if (text === null) {
    log(`no config file at ${file}; using the defaults`);
    raw = {};
    source = 'defaults';
  } else {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(file, '(file)', `not valid JSON (${jsonErrorText(err)})`);
    }
  }
  // Flags win over the file; they are merged before validation so they are checked the same way.
  const merged = structuredClone(raw) as Record<string, unknown>;
  if (typeof merged === 'object' && merged !== null && !Array.isArray(merged)) {
    const panel = {
      ...(typeof merged.panel === 'object' && merged.panel !== null ? (merged.panel as object) : {}),
    } as Record<string, unknown>;
    if (overrides.port !== undefined) panel.port = overrides.port;
    if (overrides.host !== undefined) panel.host = overrides.host;
    if (overrides.token !== undefined) panel.token = overrides.token;
    if (overrides.port !== undefined || overrides.host !== undefined || overrides.token !== undefined)
      merged.panel = panel;
    if (overrides.simulate) merged.devices = 'simulate';
    if (overrides.stateDir !== undefined) merged.stateDir = path.resolve(overrides.stateDir);
    if (overrides.model !== undefined) merged.model = overrides.model;
    if (overrides.autoplay) merged.autoplay = true;
  }
  const where = text === null ? 'config (defaults + flags)' : file;
  return { ...validateConfig(merged, where), source, modelPinned: overrides.model !== undefined };
}
