import type { MidiPort } from './midi-port.js';
import { MidiPortError } from './midi-port.js';

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

/** Lists the system's MIDI outputs (empty when RtMidi cannot start). */
export async function listMidiOutputs(): Promise<string[]> {
  try {
    return (await loadEasymidi()).getOutputs();
  } catch {
    return [];
  }
}

/** Opens a MIDI output through easymidi (RtMidi). Rejects with MidiPortError. */
export async function openEasyMidiPort(options: EasyMidiPortOptions = {}): Promise<MidiPort> {
  const lib = await loadEasymidi();
  let output: EasyOutput;
  try {
    if (options.port) {
      const names = lib.getOutputs();
      const name = names.find((n) => n === options.port) ?? names.find((n) => n.includes(options.port!));
      if (!name) {
        throw new MidiPortError(`no MIDI output named "${options.port}" (found: ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'none'})`, { disconnected: true });
      }
      output = new lib.Output(name);
    } else {
      output = new lib.Output(options.virtualName ?? VIRTUAL_PORT_NAME, true);
    }
  } catch (error) {
    if (error instanceof MidiPortError) throw error;
    // RtMidi says "Failed to initialise RtMidi" when there is no ALSA sequencer (/dev/snd/seq).
    throw new MidiPortError((error as Error).message, { unavailable: true });
  }
  return new EasyMidiPort(output);
}

class EasyMidiPort implements MidiPort {
  readonly name: string;
  readonly #output: EasyOutput;
  #closed = false;

  constructor(output: EasyOutput) {
    this.#output = output;
    this.name = output.name;
  }

  send(bytes: readonly number[]): void {
    if (this.#closed) throw new Error(`${this.name}: send() after close()`);
    try {
      sendBytes(this.#output, bytes);
    } catch (error) {
      throw new MidiPortError(`${this.name}: ${(error as Error).message}`, { disconnected: true });
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#output.close();
  }
}

/** easymidi speaks in named messages; translate the few we produce. */
function sendBytes(out: EasyOutput, bytes: readonly number[]): void {
  const status = bytes[0];
  const channel = (status & 0x0f) as 0;
  switch (status & 0xf0) {
    case 0x90:
      return out.send('noteon', { note: bytes[1], velocity: bytes[2], channel });
    case 0x80:
      return out.send('noteoff', { note: bytes[1], velocity: bytes[2], channel });
  }
  switch (status) {
    case 0xf8:
      return out.send('clock');
    case 0xfa:
      return out.send('start');
    case 0xfb:
      return out.send('continue');
    case 0xfc:
      return out.send('stop');
    case 0xf2:
      return out.send('position', { value: bytes[1] | (bytes[2] << 7) });
  }
  throw new Error(`unsupported MIDI message [${bytes.join(', ')}]`);
}
