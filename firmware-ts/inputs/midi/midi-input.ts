import type { Clock, Seconds } from '../../time/clock.js';
import { Listeners } from '../../support/listeners.js';
import { MidiPortError } from '../../outputs/midi/midi-port.js';
import { alsaSequencerPresent, easymidiBinding } from '../../outputs/midi/rtmidi-binding.js';

/**
 * One incoming message. `time` is when this thread saw it (late by whatever
 * the thread was busy with); `deviceTime`, when the driver has one, is its own
 * arrival stamp (RtMidi's input thread), on a clock of its own that only
 * differences make sense of, and that the main thread's pauses do not move.
 */
export type MidiInputListener = (bytes: readonly number[], time: Seconds, deviceTime?: Seconds) => void;

/** Incoming MIDI (for clock follow). */
export interface MidiInput {
  readonly name: string;
  onMessage(listener: MidiInputListener): () => void;
  /** Whether the device is still there (RtMidi on ALSA says nothing when a cable is pulled). */
  present?(): boolean;
  close(): void;
}

/** Opens (or re-opens) an input; rejects with MidiPortError when there is none now. */
export type MidiInputOpener = () => Promise<MidiInput>;

/**
 * Test instrument: `emit(bytes, time)` delivers a message as if it had
 * arrived, `noteOn`/`noteOff` a note; `gone` makes it unlisted. `time` is
 * when this thread sees it, `deviceTime` the driver's own arrival stamp.
 */
export class FakeMidiInput implements MidiInput {
  readonly name: string;
  gone = false;
  closed = false;
  readonly #listeners = new Listeners<Parameters<MidiInputListener>>();

  constructor(name = 'Fake MIDI in') {
    this.name = name;
  }

  onMessage(listener: MidiInputListener): () => void {
    return this.#listeners.add(listener);
  }

  emit(bytes: readonly number[], time: Seconds, deviceTime?: Seconds): void {
    this.#listeners.emit(bytes, time, deviceTime);
  }

  /** A note-on, channel 1..16 as printed on devices. */
  noteOn(channel: number, note: number, velocity: number, time: Seconds, deviceTime?: Seconds): void {
    this.emit([0x90 | (channel - 1), note, velocity], time, deviceTime);
  }

  noteOff(channel: number, note: number, time: Seconds, deviceTime?: Seconds): void {
    this.emit([0x80 | (channel - 1), note, 0], time, deviceTime);
  }

  /** Listeners now subscribed (a closed or dropped input has none). */
  get listeners(): number {
    return this.#listeners.size;
  }

  present(): boolean {
    return !this.gone;
  }

  close(): void {
    this.closed = true;
    this.#listeners.clear();
  }
}

/** What the box needs of @julusian/midi's Input (the binding easymidi itself runs on). */
export interface NativeMidiInput {
  on(event: 'message', listener: (deltaTime: number, bytes: number[]) => void): unknown;
  ignoreTypes(sysex: boolean, timing: boolean, activeSensing: boolean): void;
  getPortCount(): number;
  getPortName(port: number): string;
  openPort(port: number): void;
  closePort(): void;
  /** Frees the ALSA client now rather than at exit. */
  destroy?(): void;
}
export interface NativeMidiInputClass {
  new (): NativeMidiInput;
  getPortNames(): string[];
}

let binding: NativeMidiInputClass | null = null;

/**
 * easymidi's Input hands on parsed messages without RtMidi's arrival
 * stamps, which are what a tempo estimate needs; its binding,
 * @julusian/midi (loaded from easymidi's own folder), has them. Resolved
 * once: module resolution reads the disk.
 */
function nativeInputClass(): NativeMidiInputClass {
  if (binding) return binding;
  try {
    const found = (easymidiBinding() as { Input?: NativeMidiInputClass }).Input;
    if (typeof found !== 'function' || typeof found.getPortNames !== 'function')
      throw new Error('@julusian/midi has no Input.getPortNames');
    binding = found;
    return found;
  } catch (error) {
    throw new MidiPortError(`cannot load the MIDI input binding: ${(error as Error).message}`, { unavailable: true });
  }
}

/**
 * The system's MIDI inputs by name, for the panel to pick from: the static
 * list (no ALSA client of ours), nothing when there is no sequencer or no
 * binding (each RtMidi attempt without one prints lines from C).
 */
export async function listSystemMidiInputs(
  loadClass: () => NativeMidiInputClass = nativeInputClass,
  sequencerPresent: () => Promise<boolean> = alsaSequencerPresent,
): Promise<string[]> {
  try {
    if (!(await sequencerPresent())) return [];
    return loadClass().getPortNames();
  } catch {
    return [];
  }
}

/** Opens the named system input again and again (as it comes and goes); `dispose` lets go of it for good. */
export interface SystemMidiInput {
  open: MidiInputOpener;
  dispose(): void;
}

/**
 * A system MIDI input by its exact name or a part of it ("UM-ONE" matches
 * "UM-ONE:UM-ONE MIDI 1 24:0"), with messages stamped by `clock` and by
 * RtMidi's own arrival times. One RtMidi input serves every reopening: a
 * @julusian/midi Input is never collected (its native side holds its
 * callback, which holds it), so one per attempt would leak one a second
 * while the master is unplugged. `open` rejects with MidiPortError
 * (`disconnected` when no such input is listed now).
 */
export function systemMidiInput(
  port: string,
  clock: Clock,
  loadClass: () => NativeMidiInputClass = nativeInputClass,
  sequencerPresent: () => Promise<boolean> = alsaSequencerPresent,
): SystemMidiInput {
  let native: NativeMidiInput | null = null;
  /** RtMidi could not start (no ALSA sequencer): each attempt prints lines from C, so it is not asked again until there is one. */
  let unavailable: MidiPortError | null = null;
  /** The listeners of the input now open; null while none is (messages of a closed one go nowhere). */
  let listeners: Listeners<Parameters<MidiInputListener>> | null = null;
  let deviceTime = 0;

  const create = (Input: NativeMidiInputClass): NativeMidiInput => {
    const made = new Input();
    // RtMidi drops timing messages unless told otherwise; sysex and active sensing stay dropped.
    made.ignoreTypes(true, false, true);
    made.on('message', (deltaTime, bytes) => {
      // RtMidi gives each message's distance from the one before (kernel arrival stamps): their sum is a clock.
      deviceTime += deltaTime;
      if (!listeners) return;
      const time = clock.now();
      listeners.emit(bytes, time, deviceTime);
    });
    return made;
  };

  const closePort = () => {
    listeners = null;
    try {
      native?.closePort();
    } catch {
      // closing what is already gone
    }
  };

  const open = async (): Promise<MidiInput> => {
    const Input = loadClass();
    closePort();
    // Looked up before RtMidi is asked, the first time too: without a sequencer RtMidi and ALSA print their failures from C.
    if (!(await sequencerPresent()))
      throw (unavailable ??= new MidiPortError('no ALSA sequencer, /dev/snd/seq is missing; modprobe snd-seq', {
        unavailable: true,
      }));
    unavailable = null;
    let name: string;
    try {
      // The static list first: it opens no client of ours, so a missing master costs nothing per look.
      const listed = Input.getPortNames();
      const wanted = listed.find((n) => n === port) ?? listed.find((n) => n.includes(port));
      if (!wanted)
        throw new MidiPortError(
          `no MIDI input named "${port}" (found: ${listed.length ? listed.map((n) => `"${n}"`).join(', ') : 'none'})`,
          { disconnected: true },
        );
      name = wanted;
      native ??= create(Input);
      const index = Array.from({ length: native.getPortCount() }, (_, i) => native!.getPortName(i)).indexOf(name);
      if (index < 0)
        throw new MidiPortError(`MIDI input "${name}" went away while being opened`, { disconnected: true });
      native.openPort(index);
    } catch (error) {
      closePort();
      if (error instanceof MidiPortError) throw error;
      // "Failed to initialise RtMidi" when there is no ALSA sequencer (/dev/snd/seq).
      unavailable = new MidiPortError((error as Error).message, { unavailable: true });
      throw unavailable;
    }
    const mine = new Listeners<Parameters<MidiInputListener>>();
    listeners = mine;
    deviceTime = 0;
    return {
      name,
      onMessage: (listener) => mine.add(listener),
      present() {
        try {
          return Input.getPortNames().includes(name);
        } catch {
          return true;
        }
      },
      close() {
        mine.clear();
        if (listeners === mine) closePort();
      },
    };
  };

  return {
    open,
    dispose() {
      closePort();
      native?.destroy?.();
      native = null;
    },
  };
}
