import type { Clock, Seconds } from '../../time/clock.js';
import { MidiPortError } from './midi-port.js';

/** Incoming MIDI (for clock follow). Each message arrives with the local time it was received. */
export interface MidiInput {
  readonly name: string;
  onMessage(listener: (bytes: readonly number[], time: Seconds) => void): () => void;
  close(): void;
}

/** Test instrument: `emit(bytes, time)` delivers a message as if it had arrived. */
export class FakeMidiInput implements MidiInput {
  readonly name: string;
  readonly #listeners = new Set<(bytes: readonly number[], time: Seconds) => void>();

  constructor(name = 'Fake MIDI in') {
    this.name = name;
  }

  onMessage(listener: (bytes: readonly number[], time: Seconds) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(bytes: readonly number[], time: Seconds): void {
    for (const l of this.#listeners) l(bytes, time);
  }

  close(): void {
    this.#listeners.clear();
  }
}

/** Opens a system MIDI input by (part of) its name through easymidi, stamping messages with `clock`. */
export async function openEasyMidiInput(port: string, clock: Clock): Promise<MidiInput> {
  let lib: typeof import('easymidi');
  try {
    const m = await import('easymidi');
    lib = ((m as unknown as { default?: typeof import('easymidi') }).default ?? m) as typeof import('easymidi');
  } catch (error) {
    throw new MidiPortError(`cannot load easymidi: ${(error as Error).message}`, { unavailable: true });
  }
  let input: InstanceType<typeof lib.Input>;
  try {
    const names = lib.getInputs();
    const name = names.find((n) => n === port) ?? names.find((n) => n.includes(port));
    if (!name) throw new MidiPortError(`no MIDI input named "${port}" (found: ${names.map((n) => `"${n}"`).join(', ') || 'none'})`, { disconnected: true });
    input = new lib.Input(name);
  } catch (error) {
    if (error instanceof MidiPortError) throw error;
    throw new MidiPortError((error as Error).message, { unavailable: true });
  }
  const listeners = new Set<(bytes: readonly number[], time: Seconds) => void>();
  const realtime: Record<string, number> = { clock: 0xf8, start: 0xfa, continue: 0xfb, stop: 0xfc };
  for (const [type, status] of Object.entries(realtime)) {
    input.on(type as 'clock', () => {
      const t = clock.now();
      for (const l of listeners) l([status], t);
    });
  }
  input.on('position', (msg) => {
    const t = clock.now();
    for (const l of listeners) l([0xf2, msg.value & 0x7f, msg.value >> 7], t);
  });
  return {
    name: input.name,
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      listeners.clear();
      input.close();
    },
  };
}
