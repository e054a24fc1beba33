/**
 * The MIDI-out device contract. MIDI bytes carry no timestamps, so `send` means
 * "on the wire now": whoever calls it is responsible for calling it on time.
 */
export interface MidiPort {
  /** The port's name as the system shows it (or the virtual port's name). */
  readonly name: string;
  /**
   * Sends one complete MIDI message (status byte first) immediately.
   * Throws a MidiPortError with `disconnected` when the device has gone; throws a
   * plain Error when called after close() (a bug in the caller, not a device fault).
   */
  send(bytes: readonly number[]): void;
  /**
   * Whether the device is still there, for ports whose send cannot tell (RtMidi
   * on ALSA sends into the void once a cable is pulled). Polled between sends.
   */
  present?(): boolean;
  /** Releases the port. Idempotent. */
  close(): void;
}

/** Opens (or re-opens) a port; rejects with MidiPortError when no device can be had now. */
export type MidiPortOpener = () => Promise<MidiPort>;

/**
 * A device fault, with flags so callers can tell "there is no MIDI system at all"
 * (no ALSA sequencer, RtMidi cannot start) from "the cable was pulled".
 */
export class MidiPortError extends Error {
  override name = 'MidiPortError';
  readonly unavailable: boolean;
  readonly disconnected: boolean;

  constructor(message: string, flags: { unavailable?: boolean; disconnected?: boolean } = {}) {
    super(message);
    this.unavailable = flags.unavailable ?? false;
    this.disconnected = flags.disconnected ?? false;
  }
}
