import type { Unsubscribe } from '../../support/listeners.js';
import type { Clock, Seconds } from '../../time/clock.js';
import type { MidiInput, MidiInputOpener } from './midi-input.js';

/** How often a missing input is looked for, and an open one checked for. */
export const LOOK_EVERY: Seconds = 1;
/**
 * An input silent this long is opened again. A device unplugged and back
 * within a look usually comes back under the same name (ALSA's client number
 * follows the USB slot), listed as before but with the old subscription dead:
 * nothing else would notice. Re-subscribing a quiet input costs microseconds.
 */
export const REOPEN_AFTER_SILENCE: Seconds = 2;

/** What the log says, one line per change (never one per attempt). */
export interface InputLinkLines {
  opened(input: string): string;
  missing(configured: string, why: string): string;
  gone(input: string): string;
}

export interface MidiInputLinkOptions {
  /** What the log calls the input (the configured name). */
  name: string;
  open: MidiInputOpener;
  clock: Clock;
  log: { info(message: string): void; warn(message: string): void };
  lines: InputLinkLines;
  /**
   * Whether a silent input may be opened again now. A reopened input starts
   * its arrival stamps again, so a user that is in the middle of something
   * timed (a take) says no until it is done. Absent: always.
   */
  mayReopen?: () => boolean;
}

/** Given each input as it is opened; returns what lets go of it when it is dropped. */
export type InputUser = (input: MidiInput) => Unsubscribe;

/**
 * Keeps one system MIDI input open through cable pulls, for any number of
 * users (clock follow, notes as gestures: one input may serve both). Opens it
 * when it appears, notices when it goes (RtMidi on ALSA does not say: the
 * system's port list does) and opens it again when it is back. Every look is
 * on the injected clock; one log line per change.
 */
export class MidiInputLink {
  readonly #options: MidiInputLinkOptions;
  readonly #users = new Set<InputUser>();
  readonly #releases = new Map<InputUser, Unsubscribe>();
  readonly #dropListeners = new Set<() => void>();
  #input: MidiInput | null = null;
  #lastHeard: Seconds = 0;
  #cancelLook: (() => void) | null = null;
  #saidMissing = false;
  #saidOpen = false;
  #closed = false;

  constructor(options: MidiInputLinkOptions) {
    this.#options = options;
  }

  get name(): string {
    return this.#options.name;
  }

  /** The open input's name, or null while it is missing. */
  get connected(): string | null {
    return this.#input?.name ?? null;
  }

  /** Adds a user: given the input now if one is open, and every input opened later. */
  use(user: InputUser): Unsubscribe {
    this.#users.add(user);
    if (this.#input) this.#give(user, this.#input);
    return () => {
      this.#users.delete(user);
      this.#releases.get(user)?.();
      this.#releases.delete(user);
    };
  }

  /** Told when the input is dropped (gone, or closed): whatever depended on it lets go. */
  onDrop(listener: () => void): Unsubscribe {
    this.#dropListeners.add(listener);
    return () => this.#dropListeners.delete(listener);
  }

  /** Resolves after the first attempt (the input may still be missing: it is then looked for every second). */
  async start(): Promise<void> {
    await this.#tryOpen();
  }

  close(): void {
    this.#closed = true;
    this.#cancelLook?.();
    this.#cancelLook = null;
    this.#drop();
  }

  async #tryOpen(): Promise<void> {
    const { name, log, lines } = this.#options;
    try {
      const input = await this.#options.open();
      if (this.#closed) {
        input.close();
        return;
      }
      this.#input = input;
      this.#lastHeard = this.#options.clock.now();
      input.onMessage(() => {
        this.#lastHeard = this.#options.clock.now();
      });
      if (this.#saidMissing || !this.#saidOpen) log.info(lines.opened(input.name));
      this.#saidMissing = false;
      this.#saidOpen = true;
      for (const user of this.#users) this.#give(user, input);
    } catch (error) {
      if (this.#closed) return;
      if (!this.#saidMissing) log.warn(lines.missing(name, (error as Error).message));
      this.#saidMissing = true;
    }
    this.#lookAgain();
  }

  #give(user: InputUser, input: MidiInput): void {
    this.#releases.get(user)?.();
    this.#releases.set(user, user(input));
  }

  #lookAgain(): void {
    if (this.#closed) return;
    this.#cancelLook = this.#options.clock.setTimeout(() => {
      this.#cancelLook = null;
      if (!this.#input) {
        void this.#tryOpen();
      } else if (this.#input.present?.() === false) {
        this.#options.log.warn(this.#options.lines.gone(this.#input.name));
        this.#drop();
        this.#saidMissing = true;
        void this.#tryOpen();
      } else if (
        this.#options.clock.now() - this.#lastHeard >= REOPEN_AFTER_SILENCE &&
        (this.#options.mayReopen?.() ?? true)
      ) {
        // Quietly: a master that sends no clock while stopped is silent too, and so is a keyboard nobody plays.
        this.#drop();
        void this.#tryOpen();
      } else {
        this.#lookAgain();
      }
    }, LOOK_EVERY);
  }

  #drop(): void {
    for (const release of this.#releases.values()) release();
    this.#releases.clear();
    const had = this.#input !== null;
    this.#input?.close();
    this.#input = null;
    if (had) for (const listener of this.#dropListeners) listener();
  }
}
