import type { Sequencer } from '../../sequencer/sequencer.js';
import type { Clock, Seconds } from '../../time/clock.js';
import { MidiClockFollower } from './clock-follower.js';
import type { MidiInput, MidiInputOpener } from './midi-input.js';

/** How often a missing input is looked for, and an open one checked for. */
const LOOK_EVERY: Seconds = 1;
/**
 * An input silent this long is opened again. A device unplugged and back
 * within a look usually comes back under the same name (ALSA's client number
 * follows the USB slot), listed as before but with the old subscription dead:
 * nothing else would notice. Re-subscribing a quiet input costs microseconds.
 */
const REOPEN_AFTER_SILENCE: Seconds = 2;

export interface ClockInputLinkOptions {
  /** What the log calls the input (the configured name). */
  name: string;
  open: MidiInputOpener;
  sequencer: Sequencer;
  clock: Clock;
  log: { info(message: string): void; warn(message: string): void };
}

/**
 * Keeps the box following a master clock through cable pulls: opens the
 * input when it appears, notices when it goes (RtMidi on ALSA does not say:
 * the system's port list does) and opens it again when it is back. Losing
 * the master does not stop the box: it plays on at the last tempo, as a
 * drummer would, until the performer or the master's next Stop says so.
 * One log line per change, not per attempt.
 */
export class ClockInputLink {
  readonly #options: ClockInputLinkOptions;
  #input: MidiInput | null = null;
  #lastHeard: Seconds = 0;
  /** One for the link's life: the master's song position outlasts a reopened input. */
  readonly #follower: MidiClockFollower;
  #unlisten: (() => void) | null = null;
  #cancelLook: (() => void) | null = null;
  #saidMissing = false;
  #saidFollowing = false;
  #closed = false;

  constructor(options: ClockInputLinkOptions) {
    this.#options = options;
    this.#follower = new MidiClockFollower({
      sequencer: options.sequencer,
      clock: options.clock,
      log: (m) => options.log.info(m),
    });
  }

  /** The open input's name, or null while it is missing. */
  get connected(): string | null {
    return this.#input?.name ?? null;
  }

  /** The master's tempo as last estimated, or null. */
  get bpm(): number | null {
    return this.#input ? this.#follower.bpm : null;
  }

  /** PLAY on the box while the master plays: comes in on the master's next 16th, in phase. False: the master is not playing. */
  joinMaster(): boolean {
    return this.#input !== null && this.#follower.joinMaster();
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
    this.#follower.close();
  }

  async #tryOpen(): Promise<void> {
    const { name, log } = this.#options;
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
      if (this.#saidMissing || !this.#saidFollowing) log.info(`following the MIDI clock from "${input.name}"`);
      this.#saidMissing = false;
      this.#saidFollowing = true;
      this.#unlisten = this.#follower.listen(input);
    } catch (error) {
      if (this.#closed) return;
      if (!this.#saidMissing)
        log.warn(
          `MIDI clock input "${name}" not available (${(error as Error).message}); the box keeps its own tempo and follows when it appears`,
        );
      this.#saidMissing = true;
    }
    this.#lookAgain();
  }

  #lookAgain(): void {
    if (this.#closed) return;
    this.#cancelLook = this.#options.clock.setTimeout(() => {
      this.#cancelLook = null;
      if (!this.#input) {
        void this.#tryOpen();
      } else if (this.#input.present?.() === false) {
        this.#options.log.warn(
          `MIDI clock input "${this.#input.name}" has gone; playing on at ${Math.round(this.#options.sequencer.targetBpm * 10) / 10} BPM until it is back`,
        );
        this.#drop();
        this.#saidMissing = true;
        void this.#tryOpen();
      } else if (this.#options.clock.now() - this.#lastHeard >= REOPEN_AFTER_SILENCE) {
        // Quietly: a master that sends no clock while stopped is silent too.
        this.#drop();
        void this.#tryOpen();
      } else {
        this.#lookAgain();
      }
    }, LOOK_EVERY);
  }

  #drop(): void {
    this.#unlisten?.();
    this.#unlisten = null;
    this.#input?.close();
    this.#input = null;
  }
}
