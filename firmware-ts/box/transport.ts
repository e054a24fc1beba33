import type { Unsubscribe } from '../devices/interfaces.js';
import { ClockInputLink } from '../inputs/midi/clock-input-link.js';
import type { MidiInputOpener } from '../inputs/midi/midi-input.js';
import type { GestureCapture } from '../controls/capture.js';
import type { Sequencer } from '../sequencer/sequencer.js';
import type { LogFactory } from '../support/log.js';
import type { BoxParts } from './parts.js';
import type { StatusLines } from './status-lines.js';

export interface TransportOptions extends BoxParts {
  /** The tempo was set: the working state is to be saved. */
  onTempo(): void;
}

/**
 * PLAY, STOP and the tempo, and the master's MIDI clock when one is followed.
 * A take in progress keeps in step with the loop: it starts again when the
 * transport starts or the tempo changes under it.
 */
export class Transport {
  readonly #options: TransportOptions;
  readonly #sequencer: Sequencer;
  readonly #capture: GestureCapture;
  readonly #status: StatusLines;
  #clockInput: ClockInputLink | null = null;

  constructor(options: TransportOptions) {
    this.#options = options;
    this.#sequencer = options.sequencer;
    this.#capture = options.capture;
    this.#status = options.status;
  }

  /** Takes starting again when the loop (re)starts. */
  attach(): Unsubscribe {
    return this.#sequencer.on((event) => {
      // PLAY during a take: its grid was a count-in's guess; the take starts again on the loop's first downbeat.
      if ((event.type === 'start' || event.type === 'continue') && this.#capture.recorder.phase() !== 'idle')
        this.#capture.rearm();
    });
  }

  /** The master's input, kept through cable pulls; null when no clock is followed. */
  get clockInput(): ClockInputLink | null {
    return this.#clockInput;
  }

  /** Follows a master's MIDI clock (tempo, start/stop/continue); `alsoNotes`: the same input brings notes as gestures. */
  async follow(input: { name: string; open: MidiInputOpener }, logs: LogFactory, alsoNotes = false): Promise<void> {
    // Whether the master is followed is the performer's business too: its lines go to the panel's status as well.
    const log = logs('midi-in');
    const told = {
      info: (m: string) => {
        log.info(m);
        this.#status.show(m);
      },
      warn: (m: string) => {
        log.warn(m);
        this.#status.show(m);
      },
    };
    this.#clockInput = new ClockInputLink({
      name: input.name,
      open: input.open,
      sequencer: this.#sequencer,
      clock: this.#options.clock,
      log: told,
      alsoNotes,
    });
    await this.#clockInput.start();
  }

  play(): void {
    if (this.#sequencer.playing) return;
    // Following a master that plays: in on its next 16th, in phase with it.
    if (!this.#clockInput?.joinMaster()) this.#sequencer.start();
    this.#status.say('play');
  }

  /** PLAY on the panel: starts, or stops when playing. */
  toggle(): void {
    if (this.#sequencer.playing) this.stop();
    else this.play();
  }

  stop(): void {
    if (!this.#sequencer.playing) return;
    this.#sequencer.stop();
    this.#status.say('stop');
  }

  setTempo(bpm: number): void {
    const master = this.#clockInput?.bpm != null ? this.#clockInput.connected : null;
    if (master) {
      // The master's clock would take it back within a 16th: say so rather than seem to ignore the knob.
      if (this.#status.latest !== `the tempo follows "${master}"`) this.#status.say(`the tempo follows "${master}"`);
      return;
    }
    const before = this.#sequencer.targetBpm;
    const set = this.#sequencer.setTempo(bpm);
    // A take keeps the grid it was armed with, so it starts again on the loop as it now runs: waiting for its
    // downbeat it simply follows; recording, its taps so far would land on the wrong steps.
    const phase = this.#capture.recorder.phase();
    if (set !== before && phase !== 'idle' && this.#capture.rearm() && phase === 'recording') {
      this.#status.say('tempo changed during the take: it starts again at the next loop');
    }
    this.#options.changed.raise();
    this.#options.onTempo();
    this.#options.log.debug(`tempo ${set} BPM`);
  }

  /** Stops following the master. */
  close(): void {
    this.#clockInput?.close();
  }
}
