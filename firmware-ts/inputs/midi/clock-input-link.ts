import type { Sequencer } from '../../sequencer/sequencer.js';
import type { Unsubscribe } from '../../support/listeners.js';
import type { Clock } from '../../time/clock.js';
import { MidiClockFollower } from './clock-follower.js';
import { MidiInputLink, type InputUser } from './input-link.js';
import type { MidiInputOpener } from './midi-input.js';

export interface ClockInputLinkOptions {
  /** What the log calls the input (the configured name). */
  name: string;
  open: MidiInputOpener;
  sequencer: Sequencer;
  clock: Clock;
  log: { info(message: string): void; warn(message: string): void };
  /** The same input also brings notes as gestures: the lines say so. */
  alsoNotes?: boolean;
}

/**
 * Keeps the box following a master clock through cable pulls (the input kept
 * by a MidiInputLink). Losing the master does not stop the box: it plays on
 * at the last tempo, as a drummer would, until the performer or the master's
 * next Stop says so. Other users of the same input (notes as gestures) join
 * through `use`.
 */
export class ClockInputLink {
  readonly #link: MidiInputLink;
  /** One for the link's life: the master's song position outlasts a reopened input. */
  readonly #follower: MidiClockFollower;

  constructor(options: ClockInputLinkOptions) {
    const { sequencer } = options;
    const what = options.alsoNotes ? 'MIDI clock and notes' : 'MIDI clock';
    this.#follower = new MidiClockFollower({ sequencer, clock: options.clock, log: (m) => options.log.info(m) });
    this.#link = new MidiInputLink({
      name: options.name,
      open: options.open,
      clock: options.clock,
      log: options.log,
      lines: {
        opened: (input) =>
          options.alsoNotes
            ? `following the MIDI clock and taking notes from "${input}"`
            : `following the MIDI clock from "${input}"`,
        missing: (name, why) =>
          `${what} input "${name}" not available (${why}); the box keeps its own tempo and follows when it appears`,
        gone: (input) =>
          `${what} input "${input}" has gone; playing on at ${Math.round(sequencer.targetBpm * 10) / 10} BPM until it is back`,
      },
    });
    this.#link.use((input) => this.#follower.listen(input));
  }

  /** The open input's name, or null while it is missing. */
  get connected(): string | null {
    return this.#link.connected;
  }

  /** The link that keeps the input, for other users of it. */
  get link(): MidiInputLink {
    return this.#link;
  }

  /** Another user of the same input (see MidiInputLink.use). */
  use(user: InputUser): Unsubscribe {
    return this.#link.use(user);
  }

  /** The master's tempo as last estimated, or null. */
  get bpm(): number | null {
    return this.#link.connected !== null ? this.#follower.bpm : null;
  }

  /** PLAY on the box while the master plays: comes in on the master's next 16th, in phase. False: the master is not playing. */
  joinMaster(): boolean {
    return this.#link.connected !== null && this.#follower.joinMaster();
  }

  /** Resolves after the first attempt (the input may still be missing: it is then looked for every second). */
  async start(): Promise<void> {
    await this.#link.start();
  }

  close(): void {
    this.#link.close();
    this.#follower.close();
  }
}
