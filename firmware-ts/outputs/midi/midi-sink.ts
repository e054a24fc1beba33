import type { Sequencer } from '../../sequencer/sequencer.js';

/**
 * What the box needs of a MIDI output, wherever it runs: MidiOut on the
 * calling thread (tests, offline tools) or MidiThread, which runs a MidiOut
 * on its own real-time thread (the box on stage).
 */
export interface MidiSink {
  /** Subscribes to a sequencer; returns the unsubscribe function. */
  attach(sequencer: Sequencer): () => void;
  /** Tries to open the port now; on failure the output logs once and keeps retrying. */
  connect(): Promise<boolean>;
  /** True while a port is open (as last reported, for a threaded output). */
  readonly connected: boolean;
  readonly portName: string | null;
  /** Releases every sounding note, stops retrying and closes the port. */
  close(): void | Promise<void>;
}
