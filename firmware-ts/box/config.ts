import fs from 'node:fs';
import path from 'node:path';
import * as v from 'valibot';
import { DEFAULT_AUDIO_ONSET_OPTIONS } from '../devices/microphone/audio-onset-detector.js';
import { resolveNoteMap, NoteMapError, type NoteMap } from '../outputs/midi/note-map.js';
import type { DrumBindings } from '../inputs/midi/note-map-in.js';
import { BOX_DEFAULT_MODEL } from '../model/config.js';
import { DRUMS, type DrumName } from '../pattern/drums.js';
import { badTokenCharacter, isLoopbackAddress, MIN_TOKEN_LENGTH } from '../panel/bind-rules.js';
import { MAX_BPM, MIN_BPM } from '../sequencer/tempo.js';
import { jsonErrorText } from '../storage/json-error.js';
import * as validation from '../support/validate.js';
import { shown, validate } from '../support/validate.js';

/** Where the Pi's config lives unless --config says otherwise. */
export const DEFAULT_CONFIG_FILE = '/etc/groovebox/config.json';
export const DEFAULT_STATE_DIR = '/var/lib/groovebox';

/**
 * The models the box can play: the step decoder (BOX_DEFAULT_MODEL) first; the paper's 11-input model, its
 * 2-input model and the baseline as modes.
 */
export const BOX_MODELS = [BOX_DEFAULT_MODEL, 'ag11', 'ag2', 'baseline'] as const;
export type BoxModel = (typeof BOX_MODELS)[number];

export function isBoxModel(name: string): name is BoxModel {
  return (BOX_MODELS as readonly string[]).includes(name);
}

/**
 * Everything a performer or installer may set (the schema below says each
 * key's values and default). One JSON file, every key optional; unknown keys
 * are refused so a typo is not silently ignored on stage.
 */
export type BoxConfig = v.InferOutput<typeof CONFIG_SCHEMA>;

/** MIDI notes as gestures: taps of the groove, a score played on drum notes, the accent. */
export type MidiInputConfig = BoxConfig['midi']['input'];

export function defaultMidiInput(): MidiInputConfig {
  return defaultConfig().midi.input;
}

/** Every key at its default: what an empty config file means. */
export function defaultConfig(): BoxConfig {
  return v.parse(CONFIG_SCHEMA, {});
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

  /** Worded as validate.ts's problemLine words a schema's problem, so every line of a config error reads alike. */
  static forKey(file: string, key: string, value: unknown, expected: string): ConfigError {
    return new ConfigError(file, key, `${key} = ${shown(value)}: expected ${expected}`);
  }
}

/** "a space", "a tab", or its code point: the token itself stays unshown. */
function describeChar(code: number): string {
  if (code === 0x20) return 'a space';
  if (code === 0x09) return 'a tab';
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

const numberIn = (lo: number, hi: number) => validation.numberIn(lo, hi, `a number in ${lo}..${hi}`);
const absolutePath = v.pipe(v.string('an absolute folder path'), v.check(path.isAbsolute, 'an absolute folder path'));
const nonEmpty = (what: string) =>
  v.pipe(
    v.string(what),
    v.check((s) => s.trim() !== '', what),
  );
const TOKEN_LENGTH = `a string of at least ${MIN_TOKEN_LENGTH} characters, or null`;
// The value is never shown: the file may be readable by more people than the panel should be.
const panelToken = v.pipe(
  v.string(TOKEN_LENGTH),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const token = dataset.value;
    if (token.length < MIN_TOKEN_LENGTH)
      return addIssue({ input: `(${token.length} characters)`, message: TOKEN_LENGTH });
    // The panel checks the same when it starts (after the model has loaded); refusing here saves a restart loop.
    const bad = badTokenCharacter(token);
    if (bad >= 0)
      addIssue({
        input: `(${token.length} characters; character ${bad + 1} is ${describeChar(token.codePointAt(bad)!)})`,
        message: 'printable ASCII without spaces (e.g. openssl rand -hex 16), or null',
      });
  }),
);

// exactOptional, not optional: a drum given as undefined (only code can) is refused like null, not skipped.
const DRUM_BINDING = v.exactOptional(
  validation.strictRecord(
    {
      note: validation.integerIn(0, 127, 'an integer in 0..127'),
      channel: v.optional(
        v.nullable(validation.integerIn(1, 16, 'an integer in 1..16, or null for any channel')),
        null,
      ),
    },
    '{ note, channel? }',
  ),
);
/** `{ snare: { note: 40, channel: 10 } }` -> one binding per drum, in DRUMS order (null: the drum's default notes). */
const DRUM_BINDINGS = v.pipe(
  validation.strictRecord(
    Object.fromEntries(DRUMS.map((name) => [name, DRUM_BINDING])) as Record<DrumName, typeof DRUM_BINDING>,
    'an object keyed by drum name',
    (known) => `a drum name (one of ${known})`,
  ),
  v.transform((named): DrumBindings => DRUMS.map((name) => named[name] ?? null)),
);

/** What each key takes, and its default. */
const CONFIG_SCHEMA = validation.strictRecord(
  {
    /** Which model plays: one of BOX_MODELS (default BOX_DEFAULT_MODEL). */
    model: v.optional(validation.oneOf(BOX_MODELS), BOX_DEFAULT_MODEL),
    /** Folder holding models/<name>/ (null: the project's models/ folder). */
    modelsDir: v.optional(v.nullable(absolutePath), null),
    /** tfjs backend for the generation worker (null: the best available). */
    backend: v.optional(v.nullable(validation.oneOf(['tensorflow', 'wasm', 'cpu'])), null),
    /** Slots, the working state and exports (must be writable: systemd's ReadWritePaths). */
    stateDir: v.optional(absolutePath, DEFAULT_STATE_DIR),
    /** Tempo at first boot (a restored state brings its own). */
    bpm: v.optional(numberIn(MIN_BPM, MAX_BPM), 120),
    /** Scale of the prior samples for what the performer left unspecified (1 = the prior). */
    temperature: v.optional(numberIn(0, 3), 1),
    /** Where a generated loop takes over: at the next loop start or the next bar. */
    switchAt: v.optional(validation.oneOf(['loop', 'bar']), 'loop'),
    /** Velocity (0..1) of the plain step sequencer that plays the score when no model loads. */
    stepVelocity: v.optional(numberIn(0.01, 1), 0.8),
    /** auto: real panel hardware where found, the virtual panel for the rest; simulate: the virtual panel only. */
    devices: v.optional(validation.oneOf(['auto', 'simulate']), 'auto'),
    /** Start playing at boot (a box on stage starts silent; a soak run starts playing). */
    autoplay: v.optional(validation.flag(), false),
    midi: v.optional(
      validation.strictRecord(
        {
          enabled: v.optional(validation.flag(), true),
          /** A system output (exact name or part of it); null: a virtual port named "GrooveBox". */
          port: v.optional(
            v.nullable(nonEmpty('a MIDI output name (or part of it), or null for the virtual port "GrooveBox"')),
            null,
          ),
          /** { preset: gm | tr-8s | digitakt | volca-beats, drums: { ride: { note: 53 } } }: note-map.ts checks it. */
          noteMap: v.optional(v.unknown(), () => ({ preset: 'gm' })),
          /** Send MIDI clock, start/stop/continue and song position. */
          clock: v.optional(validation.flag(), true),
          /** A system MIDI input (exact name or part of it) whose clock the box follows: tempo and start/stop; null: its own tempo. */
          follow: v.optional(
            v.nullable(nonEmpty('a MIDI input name (or part of it) to take the clock from, or null')),
            null,
          ),
          /** Seconds from note-on to note-off. */
          noteLength: v.optional(numberIn(0.001, 10), 0.05),
          /** MIDI notes as gestures: taps of the groove, a score played on drum notes, the accent. */
          input: v.optional(
            validation.strictRecord(
              {
                /** A system MIDI input (exact name or part of it) whose notes are gestures; may be the same as `follow`; null: none. */
                port: v.optional(
                  v.nullable(nonEmpty('a MIDI input name (or part of it) to take notes from, or null')),
                  null,
                ),
                /** Only notes on this channel (1..16); null: any channel. */
                channel: v.optional(v.nullable(validation.integerIn(1, 16, 'an integer in 1..16, or null')), null),
                /** velocity: the paper's rule over the take; note: `accentNote` marks accents; keep: as the pad (the box's accent source). */
                accent: v.optional(validation.oneOf(['velocity', 'note', 'keep'] as const), 'velocity'),
                accentNote: v.optional(v.nullable(validation.integerIn(0, 127, 'an integer in 0..127, or null')), null),
                /** Notes bound to drums beyond the defaults: { snare: { note: 40, channel: 10 } } (channel absent: any). */
                drums: v.optional(DRUM_BINDINGS, () => ({})),
              },
              'an object',
            ),
            {},
          ),
        },
        'an object',
      ),
      {},
    ),
    /** A microphone or audio interface as one more tap pad (docs/microphone.md). */
    microphone: v.optional(
      validation.strictRecord(
        {
          /** An ALSA capture device, as arecord -D takes it ("plughw:1,0", "default"); null: no microphone. */
          device: v.optional(
            v.nullable(
              nonEmpty('an ALSA capture device (e.g. "plughw:1,0" or "default"; arecord -L lists them), or null'),
            ),
            null,
          ),
          /** The onset detector's sensitivity: 0 hears only loud taps, 1 the quietest (the panel changes it live). */
          sensitivity: v.optional(numberIn(0, 1), DEFAULT_AUDIO_ONSET_OPTIONS.sensitivity),
          /** The input path's latency (converter, USB, ALSA buffers) taken off every tap's time; measured per interface. */
          latencyMs: v.optional(numberIn(0, 500), DEFAULT_AUDIO_ONSET_OPTIONS.inputLatency * 1000),
        },
        'an object',
      ),
      {},
    ),
    audio: v.optional(
      validation.strictRecord(
        {
          enabled: v.optional(validation.flag(), true),
          gain: v.optional(numberIn(0, 1), 0.8),
        },
        'an object',
      ),
      {},
    ),
    panel: v.optional(
      validation.strictRecord(
        {
          enabled: v.optional(validation.flag(), true),
          /** 127.0.0.1 by default; any other address needs a token. */
          host: v.optional(nonEmpty('an IP address or host name to bind, e.g. 127.0.0.1'), '127.0.0.1'),
          // 0: any free port (tests, several boxes on one machine)
          port: v.optional(validation.integerIn(0, 65535, 'an integer in 0..65535'), 8080),
          token: v.optional(v.nullable(panelToken), null),
        },
        'an object',
      ),
      {},
    ),
  },
  'a JSON object',
);

/**
 * Validates a parsed config object against the schema and fills in defaults.
 * `where` names the source in errors (the file, or "--port" for a flag).
 */
export function validateConfig(raw: unknown, where: string): BoxConfig & { noteMapResolved: NoteMap } {
  const fail = (key: string, value: unknown, expected: string): never => {
    throw ConfigError.forKey(where, key, value, expected);
  };
  const config = validate(CONFIG_SCHEMA, raw, (problem) =>
    ConfigError.forKey(where, problem.path || '(top level)', problem.value, problem.expected),
  );
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
