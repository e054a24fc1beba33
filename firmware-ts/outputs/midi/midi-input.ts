import { createRequire } from 'node:module';
import type { Clock, Seconds } from '../../time/clock.js';
import { MidiPortError } from './midi-port.js';

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

/** Test instrument: `emit(bytes, time)` delivers a message as if it had arrived; `gone` makes it unlisted. */
export class FakeMidiInput implements MidiInput {
  readonly name: string;
  gone = false;
  closed = false;
  readonly #listeners = new Set<MidiInputListener>();

  constructor(name = 'Fake MIDI in') {
    this.name = name;
  }

  onMessage(listener: MidiInputListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(bytes: readonly number[], time: Seconds, deviceTime?: Seconds): void {
    for (const l of this.#listeners) l(bytes, time, deviceTime);
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
interface NativeInput {
  on(event: 'message', listener: (deltaTime: number, bytes: number[]) => void): unknown;
  ignoreTypes(sysex: boolean, timing: boolean, activeSensing: boolean): void;
  getPortCount(): number;
  getPortName(port: number): string;
  openPort(port: number): void;
  closePort(): void;
  /** Frees the ALSA client now rather than when V8 collects the wrapper. */
  destroy?(): void;
}
interface NativeInputClass {
  new (): NativeInput;
  getPortNames(): string[];
}

let binding: NativeInputClass | null = null;

/**
 * easymidi's Input hands on parsed messages without RtMidi's arrival
 * stamps, which are what a tempo estimate needs; its binding,
 * @julusian/midi (loaded from easymidi's own folder), has them. Resolved
 * once: module resolution reads the disk.
 */
function nativeInput(): NativeInputClass {
  if (binding) return binding;
  try {
    const fromEasymidi = createRequire(createRequire(import.meta.url).resolve('easymidi'));
    const found = (fromEasymidi('@julusian/midi') as { Input?: NativeInputClass }).Input;
    if (typeof found !== 'function' || typeof found.getPortNames !== 'function') throw new Error('@julusian/midi has no Input.getPortNames');
    binding = found;
    return found;
  } catch (error) {
    throw new MidiPortError(`cannot load the MIDI input binding: ${(error as Error).message}`, { unavailable: true });
  }
}

/**
 * Opens a system MIDI input by its exact name or a part of it, stamping
 * messages with `clock` and with RtMidi's own arrival times. Rejects with
 * MidiPortError (`disconnected` when no such input is listed now).
 */
export async function openSystemMidiInput(port: string, clock: Clock): Promise<MidiInput> {
  const Input = nativeInput();
  let input: NativeInput;
  let name: string;
  try {
    input = new Input();
    const names = Array.from({ length: input.getPortCount() }, (_, i) => input.getPortName(i));
    const index = names.indexOf(port) >= 0 ? names.indexOf(port) : names.findIndex((n) => n.includes(port));
    if (index < 0) {
      input.destroy?.();
      throw new MidiPortError(`no MIDI input named "${port}" (found: ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'none'})`, { disconnected: true });
    }
    name = names[index];
    // RtMidi drops timing messages unless told otherwise; sysex and active sensing stay dropped.
    input.ignoreTypes(true, false, true);
    input.openPort(index);
  } catch (error) {
    if (error instanceof MidiPortError) throw error;
    // "Failed to initialise RtMidi" when there is no ALSA sequencer (/dev/snd/seq).
    throw new MidiPortError((error as Error).message, { unavailable: true });
  }
  const listeners = new Set<MidiInputListener>();
  let deviceTime = 0;
  input.on('message', (deltaTime, bytes) => {
    // RtMidi gives each message's distance from the one before: their sum is the input thread's clock.
    deviceTime += deltaTime;
    const time = clock.now();
    for (const l of listeners) l(bytes, time, deviceTime);
  });
  let closed = false;
  return {
    name,
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    present() {
      try {
        return Input.getPortNames().includes(name);
      } catch {
        return true;
      }
    },
    close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      input.closePort();
      input.destroy?.();
    },
  };
}
