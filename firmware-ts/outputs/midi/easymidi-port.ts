import type { MidiPort } from './midi-port.js';
import { MidiPortError } from './midi-port.js';
import { easymidiBinding } from './rtmidi-binding.js';
import { missingAlsaSequencer } from '../sound-devices.js';
import { usbSoundDevices } from './usb-replug.js';

/** The name the box's virtual port shows up under (other software connects to it). */
export const VIRTUAL_PORT_NAME = 'GrooveBox';

export interface EasyMidiPortOptions {
  /**
   * A system port to open: the exact name, or a part of it ("TR-8S" matches
   * "TR-8S:TR-8S MIDI 1 24:0"). Without it a virtual port is created.
   */
  port?: string;
  /** Name of the virtual port (default "GrooveBox"). */
  virtualName?: string;
  /** Why there is no ALSA sequencer, null when there is one (default: the system's, see sound-devices.ts). */
  missingSequencer?: () => Promise<string | null>;
}

type EasyMidi = typeof import('easymidi');
type EasyOutput = InstanceType<EasyMidi['Output']>;

let easymidi: Promise<EasyMidi> | null = null;

/** Loaded on first use so that a machine without ALSA (or without the native module) still runs the rest. */
async function loadEasymidi(): Promise<EasyMidi> {
  easymidi ??= import('easymidi').then((m) => ((m as unknown as { default?: EasyMidi }).default ?? m) as EasyMidi);
  try {
    return await easymidi;
  } catch (error) {
    easymidi = null;
    throw new MidiPortError(`cannot load easymidi: ${(error as Error).message}`, { unavailable: true });
  }
}

let lister: (() => string[]) | null = null;

/**
 * The system's output names, as often as the box asks (every 0.5 s while a
 * named port is open or awaited). easymidi's getOutputs() opens an ALSA
 * sequencer client each call and leaves closing it to the garbage collector;
 * its binding, @julusian/midi (loaded from easymidi's own folder, so the very
 * one easymidi uses), lists them with a client it closes before returning.
 */
function portNameLister(lib: EasyMidi): () => string[] {
  // Resolved once: a retry runs every 0.5 s on the timing thread, and module resolution reads the disk.
  lister ??= findPortNameLister(lib);
  return lister;
}

function findPortNameLister(lib: EasyMidi): () => string[] {
  try {
    const binding = easymidiBinding() as { Output?: { getPortNames?: () => string[] } };
    const list = binding.Output?.getPortNames;
    if (typeof list === 'function') return () => list.call(binding.Output);
  } catch {
    // an easymidi without that binding: its own list
  }
  return () => lib.getOutputs();
}

/** Opens a MIDI output through easymidi (RtMidi). Rejects with MidiPortError. */
export async function openEasyMidiPort(options: EasyMidiPortOptions = {}): Promise<MidiPort> {
  // Looked up before RtMidi is asked: without a sequencer RtMidi and ALSA print their failures from C.
  const missing = await (options.missingSequencer ?? missingAlsaSequencer)();
  if (missing) throw new MidiPortError(missing, { unavailable: true });
  const lib = await loadEasymidi();
  try {
    if (options.port) {
      const listOutputs = portNameLister(lib);
      const names = listOutputs();
      const name = names.find((n) => n === options.port) ?? names.find((n) => n.includes(options.port!));
      if (!name) {
        throw new MidiPortError(
          `no MIDI output named "${options.port}" (found: ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'none'})`,
          { disconnected: true },
        );
      }
      return new EasyMidiPort(new lib.Output(name), listOutputs, usbSoundDevices);
    }
    return new EasyMidiPort(new lib.Output(options.virtualName ?? VIRTUAL_PORT_NAME, true), null);
  } catch (error) {
    if (error instanceof MidiPortError) throw error;
    // RtMidi says "Failed to initialise RtMidi" when there is no ALSA sequencer (/dev/snd/seq).
    throw new MidiPortError((error as Error).message, { unavailable: true });
  }
}

/** What the driver needs of easymidi's Output (a stand-in in tests: opening a real one needs ALSA). */
export type EasyMidiOutput = Pick<EasyOutput, 'name' | 'close'> & { send(type: string, args?: object): void };

export class EasyMidiPort implements MidiPort {
  readonly name: string;
  readonly #output: EasyMidiOutput;
  /** Only on a port opened by name: the box's virtual port cannot vanish, and is not polled. */
  readonly present?: () => boolean;
  #closed = false;

  /**
   * `listOutputs`: the system's output names, for a port opened by name (null for
   * the box's own virtual port, which cannot vanish). `usbDevices`: what is
   * plugged in, and since when (usb-replug.ts), read at open and with each
   * look at the list: a device plugged back in between two looks is gone too.
   */
  constructor(
    output: EasyMidiOutput | EasyOutput,
    listOutputs: (() => string[]) | null,
    usbDevices: () => string | null = () => null,
  ) {
    this.#output = output as EasyMidiOutput;
    this.name = output.name;
    if (!listOutputs) return;
    const plugged = usbDevices();
    this.present = () => this.#listed(listOutputs) && (plugged === null || usbDevices() === plugged);
  }

  send(bytes: readonly number[]): void {
    if (this.#closed) throw new Error(`${this.name}: send() after close()`);
    // Outside the try: a message easymidi cannot say is our bug, not a lost device.
    const [type, args] = toEasyMidiMessage(bytes);
    try {
      this.#output.send(type, args);
    } catch (error) {
      throw new MidiPortError(`${this.name}: ${(error as Error).message}`, { disconnected: true });
    }
  }

  /**
   * RtMidi on ALSA does not fail a send to a device that has gone (it prints a
   * warning at most), so a pulled cable shows only as the port missing from the
   * system's list. True while it is listed, or when the list cannot be read.
   */
  #listed(listOutputs: () => string[]): boolean {
    let names: string[];
    try {
      names = listOutputs();
    } catch {
      return true;
    }
    return names.includes(this.name);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#output.close();
  }
}

/**
 * easymidi speaks in named messages (and encodes them back into the same
 * bytes): the name and fields of each channel and system message.
 */
export function toEasyMidiMessage(bytes: readonly number[]): [string, Record<string, number>] {
  const status = bytes[0];
  const channel = status & 0x0f;
  switch (status & 0xf0) {
    case 0x80:
      return ['noteoff', { note: bytes[1], velocity: bytes[2], channel }];
    case 0x90:
      return ['noteon', { note: bytes[1], velocity: bytes[2], channel }];
    case 0xa0:
      return ['poly aftertouch', { note: bytes[1], pressure: bytes[2], channel }];
    case 0xb0:
      return ['cc', { controller: bytes[1], value: bytes[2], channel }];
    case 0xc0:
      return ['program', { number: bytes[1], channel }];
    case 0xd0:
      return ['channel aftertouch', { pressure: bytes[1], channel }];
    case 0xe0:
      return ['pitch', { value: bytes[1] | (bytes[2] << 7), channel }];
  }
  switch (status) {
    case 0xf2:
      return ['position', { value: bytes[1] | (bytes[2] << 7) }];
    case 0xf3:
      return ['select', { song: bytes[1] }];
    case 0xf8:
      return ['clock', {}];
    case 0xfa:
      return ['start', {}];
    case 0xfb:
      return ['continue', {}];
    case 0xfc:
      return ['stop', {}];
    case 0xfe:
      return ['activesense', {}];
    case 0xff:
      return ['reset', {}];
  }
  throw new Error(`unsupported MIDI message [${bytes.join(', ')}]`);
}
