import type { Stroke } from '../../controls/tap-recorder.js';
import { Listeners, type Unsubscribe } from '../../support/listeners.js';
import type { Seconds } from '../../time/clock.js';
import { ArrivalClock } from './arrival-clock.js';
import type { MidiInput } from './midi-input.js';
import { NoteDrumMap, type NoteBinding } from './note-map-in.js';
import { readNote } from './note-messages.js';

/** Where a take's accent comes from when it was played on MIDI notes. */
export type MidiAccent = 'velocity' | 'note' | 'keep';

export interface NoteGestureOptions {
  /** Only notes on this channel (1..16) count; null: every channel. */
  channel: number | null;
  map: NoteDrumMap;
  /**
   * velocity: the take's accent by the paper's rule over its velocities;
   * note: `accentNote` marks accented steps; keep: as with the pad (the accent source chosen on the box).
   */
  accent: MidiAccent;
  accentNote: number | null;
  /** Told when MIDI-learn bound a note to a drum (to keep it). */
  onLearned?: (map: NoteDrumMap, drum: number, binding: NoteBinding) => void;
  /** Told after every note-on (shown on the panel): cheap, it only raises a redraw. */
  onNote?: () => void;
  onListenerError?: (error: unknown) => void;
}

/** A note seen lately, for the panel: what came, and what the box made of it. */
export interface SeenNote {
  /** The arrival on the box's clock. */
  time: Seconds;
  channel: number;
  note: number;
  velocity: number;
  /** The drum it plays (-1: none, a tap only); 'accent' for the accent note; 'ignored' on another channel. */
  meaning: number | 'accent' | 'ignored';
  /** Which input it came from. */
  input: string;
}

/** Notes shown on the panel: enough to see a fill arrive. */
const SEEN = 8;

/**
 * MIDI notes as the performer's gestures: every note-on on the chosen
 * channel is a stroke, timed at its arrival on the box's clock (the driver's
 * own stamp, as clock follow takes it) with the note's velocity; a note
 * mapped to a drum names it (a take armed in score mode records it on that
 * drum's row), the accent note marks its step. Strokes go to the same take
 * logic as the pad's, so REC, the count-in and the take are one code.
 * Runs in the MIDI driver's callback: nothing here allocates beyond the stroke, waits or logs per note.
 */
export class NoteGestures {
  readonly #options: NoteGestureOptions;
  readonly #strokes: Listeners<[Stroke]>;
  readonly #seen: SeenNote[] = [];
  readonly #inputs = new Map<MidiInput, Unsubscribe>();
  #map: NoteDrumMap;
  #learning: number | null = null;
  #version = 0;

  constructor(options: NoteGestureOptions) {
    this.#options = options;
    this.#map = options.map;
    this.#strokes = new Listeners<[Stroke]>(options.onListenerError);
  }

  /** Strokes as notes arrive. */
  onStroke(listener: (stroke: Stroke) => void): Unsubscribe {
    return this.#strokes.add(listener);
  }

  /** Takes notes from `input` until the returned function is called (or the input is dropped). */
  listen(input: MidiInput): Unsubscribe {
    this.#inputs.get(input)?.();
    // Each input its own offset: the stamps of two inputs are on two clocks.
    const arrival = new ArrivalClock();
    const off = input.onMessage((bytes, time, deviceTime) => {
      // Every message (a master's clock pulses too) ties the input's stamps to our clock; notes are sparse.
      const at = arrival.toOurClock(time, deviceTime);
      this.#message(bytes, at, input.name);
    });
    const stop = (): void => {
      off();
      if (this.#inputs.get(input) === stop) this.#inputs.delete(input);
    };
    this.#inputs.set(input, stop);
    return stop;
  }

  /** Arms MIDI-learn: the next note on the channel plays `drum` from now on. null disarms. */
  learn(drum: number | null): void {
    this.#learning = drum;
    this.#version++;
  }

  /** The drum waiting for its note, or null. */
  get learning(): number | null {
    return this.#learning;
  }

  get map(): NoteDrumMap {
    return this.#map;
  }

  /** Replaces the note map (bindings read back from the disk, or reset). */
  setMap(map: NoteDrumMap): void {
    this.#map = map;
    this.#version++;
  }

  /** The latest notes, newest first. */
  seen(): SeenNote[] {
    return this.#seen.slice().reverse();
  }

  /** Changes with every note seen, learn and map change: the panel redraws when it moves. */
  get version(): number {
    return this.#version;
  }

  /** A controller pulled: nothing of it may stay armed (a learn waiting for a note it will not send). */
  dropped(): void {
    if (this.#learning !== null) this.learn(null);
  }

  close(): void {
    for (const stop of [...this.#inputs.values()]) stop();
    this.#strokes.clear();
  }

  #message(bytes: readonly number[], time: Seconds, input: string): void {
    const note = readNote(bytes);
    if (!note || !note.on) return;
    const { channel: wanted, accent, accentNote } = this.#options;
    let meaning: SeenNote['meaning'];
    if (wanted !== null && note.channel !== wanted) meaning = 'ignored';
    else if (this.#learning !== null) {
      const drum = this.#learning;
      const binding = { note: note.note, channel: wanted === null ? note.channel : null };
      this.#map = this.#map.withBinding(drum, binding);
      this.#learning = null;
      this.#options.onLearned?.(this.#map, drum, binding);
      meaning = drum;
      // A note that teaches is not played: the performer is setting up, not taking.
    } else if (accent === 'note' && note.note === accentNote) {
      meaning = 'accent';
      this.#strokes.emit({ time, velocity: note.velocity / 127, accent: true });
    } else {
      const drum = this.#map.drumOf(note.channel, note.note);
      meaning = drum;
      this.#strokes.emit({
        time,
        velocity: note.velocity / 127,
        ...(drum >= 0 ? { drum } : {}),
        ...(accent === 'velocity' ? { velocityAccent: true } : {}),
      });
    }
    this.#seen.push({ time, channel: note.channel, note: note.note, velocity: note.velocity, meaning, input });
    if (this.#seen.length > SEEN) this.#seen.shift();
    this.#version++;
    this.#options.onNote?.();
  }
}
