import type { MidiPort } from './midi-port.js';
import { MidiPortError } from './midi-port.js';

export interface SentMessage {
  bytes: number[];
  /** performance.now() at the moment of the send, in milliseconds (or the injected stamp). */
  timeMs: number;
}

/**
 * A test instrument standing in for a MIDI device: records every message with
 * the time it left, can be unplugged and plugged back, and refuses misuse.
 */
export class FakeMidiPort implements MidiPort {
  readonly name: string;
  readonly sent: SentMessage[] = [];
  #closed = false;
  #plugged = true;
  readonly #stamp: () => number;

  /** `stamp` returns the time recorded with each send in ms (default performance.now). */
  constructor(name = 'Fake MIDI', stamp: () => number = () => performance.now()) {
    this.name = name;
    this.#stamp = stamp;
  }

  get lastWrite(): number[] | undefined {
    return this.sent[this.sent.length - 1]?.bytes;
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(bytes: readonly number[]): void {
    if (this.#closed) throw new Error(`${this.name}: send() after close()`);
    if (!this.#plugged) throw new MidiPortError(`${this.name}: device disconnected`, { disconnected: true });
    if (
      bytes.length === 0 ||
      bytes[0] < 0x80 ||
      bytes.some((b, i) => !Number.isInteger(b) || b < 0 || b > 255 || (i > 0 && b > 127))
    ) {
      throw new Error(`${this.name}: not a MIDI message: [${bytes.join(', ')}]`);
    }
    this.sent.push({ bytes: [...bytes], timeMs: this.#stamp() });
  }

  close(): void {
    this.#closed = true;
  }

  /** Simulates pulling the cable: sends throw a disconnected MidiPortError until plug(). */
  unplug(): void {
    this.#plugged = false;
  }

  plug(): void {
    this.#plugged = true;
  }

  reset(): void {
    this.sent.length = 0;
    this.#closed = false;
    this.#plugged = true;
  }
}

/** A FakeMidiPort that keeps nothing (soaks, benchmarks): over hours, a record of every message would be the leak. */
export class SilentPort extends FakeMidiPort {
  override send(bytes: readonly number[]): void {
    super.send(bytes);
    this.sent.length = 0;
  }
}

/**
 * A FakeMidiPort that goes the way RtMidi on ALSA does when its cable is
 * pulled: send() still succeeds (into the void: nothing is recorded) and the
 * port is no longer in the system's list (present() is false).
 */
export class ListedFakeMidiPort extends FakeMidiPort {
  #listed = true;

  override send(bytes: readonly number[]): void {
    if (this.closed || this.#listed) super.send(bytes); // after close() it still throws
  }

  present(): boolean {
    return this.#listed;
  }

  /** Pulls the cable the silent way. */
  vanish(): void {
    this.#listed = false;
  }

  /** Plugs it back: listed again, sends recorded again. */
  reappear(): void {
    this.#listed = true;
  }
}
