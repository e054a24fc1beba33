import { DRUM_COUNT, DRUMS, drumIndexOfPitch } from '../../pattern/drums.js';
import { NOTE_MAP_PRESETS, type NoteMap } from '../../outputs/midi/note-map.js';

/** A note a drum answers to: its number, and its channel (1..16) or any channel (null). */
export interface NoteBinding {
  note: number;
  channel: number | null;
}

/** Per drum (DRUMS order), the notes learned or configured for it. */
export type DrumBindings = (NoteBinding | null)[];

export function emptyBindings(): DrumBindings {
  return new Array(DRUM_COUNT).fill(null);
}

/**
 * Which drum an incoming note plays. In order: a binding learned on the
 * panel or set in the config (so the performer always wins); the box's own
 * output note map (a box wired to a TR-8S reads that machine's pads back as
 * the drums it sends them); General MIDI's drum notes on any channel (the
 * Groove MIDI Dataset's reduction: 37 side stick is a snare, 22 a closed
 * hat); then the other presets' maps on their channels. -1: no drum.
 */
export class NoteDrumMap {
  readonly #bindings: DrumBindings;
  readonly #output: NoteMap;

  constructor(output: NoteMap = NOTE_MAP_PRESETS.gm, bindings: DrumBindings = emptyBindings()) {
    this.#output = output;
    this.#bindings = bindings.slice();
  }

  drumOf(channel: number, note: number): number {
    for (let drum = 0; drum < DRUM_COUNT; drum++) {
      const b = this.#bindings[drum];
      if (b && b.note === note && (b.channel === null || b.channel === channel)) return drum;
    }
    const own = onMap(this.#output, channel, note);
    if (own >= 0) return own;
    const gm = drumIndexOfPitch(note);
    if (gm >= 0) return gm;
    for (const map of Object.values(NOTE_MAP_PRESETS)) {
      const drum = onMap(map, channel, note);
      if (drum >= 0) return drum;
    }
    return -1;
  }

  /** A copy with `drum` bound to `binding` (null: back to the defaults); the note leaves any other drum it was bound to. */
  withBinding(drum: number, binding: NoteBinding | null): NoteDrumMap {
    const next = this.#bindings.map((b) =>
      b &&
      binding &&
      b.note === binding.note &&
      (b.channel === null || binding.channel === null || b.channel === binding.channel)
        ? null
        : b,
    );
    next[drum] = binding;
    return new NoteDrumMap(this.#output, next);
  }

  get bindings(): DrumBindings {
    return this.#bindings.slice();
  }

  /** The note each drum is played by, as the panel shows it ("36 ch 10", "40" for any channel): its binding, else the box's own map. */
  labels(): string[] {
    return DRUMS.map((name, drum) => {
      const b = this.#bindings[drum] ?? this.#output[name];
      return b.channel === null ? `${b.note}` : `${b.note} ch ${b.channel}`;
    });
  }
}

function onMap(map: NoteMap, channel: number, note: number): number {
  for (let drum = 0; drum < DRUM_COUNT; drum++) {
    const target = map[DRUMS[drum]];
    if (target.note === note && target.channel === channel) return drum;
  }
  return -1;
}
