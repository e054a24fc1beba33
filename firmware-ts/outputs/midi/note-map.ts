import { DEFAULT_OUTPUT_PITCHES, DRUMS, type DrumName } from '../../pattern/drums.js';

/** Where one drum goes: MIDI channel 1..16 (as printed on devices) and note 0..127. */
export interface DrumTarget {
  channel: number;
  note: number;
}

export type NoteMap = Readonly<Record<DrumName, DrumTarget>>;

export type NoteMapPreset = 'gm' | 'tr-8s' | 'digitakt' | 'volca-beats';

function onChannel(channel: number, notes: readonly number[]): NoteMap {
  return Object.fromEntries(DRUMS.map((drum, i) => [drum, { channel, note: notes[i] }])) as unknown as NoteMap;
}

/**
 * Note maps of the machines we drive. Order of the note lists: kick, snare,
 * closedHat, openHat, lowTom, midTom, highTom, crash, ride.
 */
export const NOTE_MAP_PRESETS: Readonly<Record<NoteMapPreset, NoteMap>> = {
  // General MIDI percussion (channel 10), the pitches the Groove MIDI Dataset maps onto.
  gm: onChannel(10, DEFAULT_OUTPUT_PITCHES),
  // TR-8S factory note numbers (channel 10): BD 36, SD 38, LT 43, MT 47, HT 50, CH 42, OH 46, CC 49, RC 51.
  'tr-8s': onChannel(10, [36, 38, 42, 46, 43, 47, 50, 49, 51]),
  // Digitakt: audio tracks 1-8 listen on channels 1-8 by default and play their sample chromatically
  // around C4 (note 60 = as sampled). Nine drums, eight tracks: the two upper toms share track 6,
  // the high tom a fourth up (65).
  digitakt: {
    kick: { channel: 1, note: 60 },
    snare: { channel: 2, note: 60 },
    closedHat: { channel: 3, note: 60 },
    openHat: { channel: 4, note: 60 },
    lowTom: { channel: 5, note: 60 },
    midTom: { channel: 6, note: 60 },
    highTom: { channel: 6, note: 65 },
    crash: { channel: 7, note: 60 },
    ride: { channel: 8, note: 60 },
  },
  // volca beats (channel 10): Kick 36, Snare 38, Lo Tom 43, Hi Tom 50, CL Hat 42, OP Hat 46, Crash 49,
  // Agogo 67. It has two toms and no ride: the mid tom plays the Lo Tom, the ride the Agogo bell.
  'volca-beats': onChannel(10, [36, 38, 42, 46, 43, 43, 50, 49, 67]),
};

export const NOTE_MAP_PRESET_NAMES = Object.keys(NOTE_MAP_PRESETS) as NoteMapPreset[];

/** Error in a note map: names the key, the value and what was expected. */
export class NoteMapError extends Error {
  override name = 'NoteMapError';
}

/**
 * Builds a note map from a preset plus per-drum overrides, as a config file
 * would give them: `{ preset: 'tr-8s', drums: { ride: { note: 53 } } }`.
 * Every value is checked; the first problem throws one line naming it.
 */
export function resolveNoteMap(config: unknown = {}, where = 'noteMap'): NoteMap {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new NoteMapError(`${where}: expected an object like { preset, drums }, got ${JSON.stringify(config)}`);
  }
  const { preset = 'gm', drums = {}, ...rest } = config as { preset?: unknown; drums?: unknown };
  const extra = Object.keys(rest);
  if (extra.length > 0) throw new NoteMapError(`${where}.${extra[0]}: unknown key (expected "preset" or "drums")`);
  if (typeof preset !== 'string' || !Object.hasOwn(NOTE_MAP_PRESETS, preset)) {
    throw new NoteMapError(
      `${where}.preset: expected one of ${NOTE_MAP_PRESET_NAMES.join(', ')}, got ${JSON.stringify(preset)}`,
    );
  }
  if (typeof drums !== 'object' || drums === null || Array.isArray(drums)) {
    throw new NoteMapError(`${where}.drums: expected an object keyed by drum name, got ${JSON.stringify(drums)}`);
  }
  const base = NOTE_MAP_PRESETS[preset as NoteMapPreset];
  const merged: Record<string, DrumTarget> = {};
  for (const drum of DRUMS) merged[drum] = { ...base[drum] };
  for (const [key, value] of Object.entries(drums as Record<string, unknown>)) {
    if (!(DRUMS as readonly string[]).includes(key)) {
      throw new NoteMapError(`${where}.drums.${key}: unknown drum (expected one of ${DRUMS.join(', ')})`);
    }
    if (typeof value !== 'object' || value === null) {
      throw new NoteMapError(`${where}.drums.${key}: expected { channel?, note? }, got ${JSON.stringify(value)}`);
    }
    // Own keys only, each by name: a "__proto__" key must not become the target's prototype.
    const unknown = Object.keys(value).find((k) => k !== 'channel' && k !== 'note');
    if (unknown !== undefined)
      throw new NoteMapError(`${where}.drums.${key}.${unknown}: unknown key (expected "channel" or "note")`);
    const target = value as Partial<DrumTarget>;
    if (Object.hasOwn(target, 'channel')) merged[key].channel = target.channel!;
    if (Object.hasOwn(target, 'note')) merged[key].note = target.note!;
  }
  return validateNoteMap(merged, where);
}

/** Checks a complete map: every drum present, channel an integer 1..16, note an integer 0..127. */
export function validateNoteMap(map: unknown, where = 'noteMap'): NoteMap {
  if (typeof map !== 'object' || map === null)
    throw new NoteMapError(`${where}: expected an object keyed by drum name`);
  const m = map as Record<string, Partial<DrumTarget> | undefined>;
  for (const key of Object.keys(m)) {
    if (!(DRUMS as readonly string[]).includes(key))
      throw new NoteMapError(`${where}.${key}: unknown drum (expected one of ${DRUMS.join(', ')})`);
  }
  for (const drum of DRUMS) {
    const target = m[drum];
    if (!target) throw new NoteMapError(`${where}.${drum}: missing (every drum needs { channel, note })`);
    const { channel, note } = target;
    if (typeof channel !== 'number' || !Number.isInteger(channel) || channel < 1 || channel > 16) {
      throw new NoteMapError(`${where}.${drum}.channel: expected an integer 1..16, got ${JSON.stringify(channel)}`);
    }
    if (typeof note !== 'number' || !Number.isInteger(note) || note < 0 || note > 127) {
      throw new NoteMapError(`${where}.${drum}.note: expected an integer 0..127, got ${JSON.stringify(note)}`);
    }
  }
  return Object.freeze(
    Object.fromEntries(DRUMS.map((d) => [d, Object.freeze({ channel: m[d]!.channel!, note: m[d]!.note! })])),
  ) as unknown as NoteMap;
}
