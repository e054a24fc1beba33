import type { MidiInput, MidiInputListener } from '../inputs/midi/midi-input.js';
import { Listeners } from '../support/listeners.js';
import type { Seconds } from '../time/clock.js';

/**
 * The panel's Web MIDI: notes a browser received from its own MIDI inputs
 * (navigator.requestMIDIAccess), sent over the panel socket with the
 * browser's arrival stamps and put on the daemon's clock by the page clock
 * sync. One more MidiInput, so the box takes them as it takes a cable's.
 * No driver stamp of its own: the time given is the arrival already.
 */
export class VirtualMidiInput implements MidiInput {
  readonly name = 'panel (Web MIDI)';
  readonly #listeners: Listeners<Parameters<MidiInputListener>>;
  #closed = false;

  constructor(onListenerError?: (err: unknown) => void) {
    this.#listeners = new Listeners<Parameters<MidiInputListener>>(onListenerError);
  }

  onMessage(listener: MidiInputListener): () => void {
    return this.#listeners.add(listener);
  }

  /** A message from a page, at its arrival on the daemon's clock. */
  receive(bytes: readonly number[], time: Seconds): void {
    if (this.#closed) return;
    this.#listeners.emit(bytes, time);
  }

  close(): void {
    this.#closed = true;
    this.#listeners.clear();
  }
}
