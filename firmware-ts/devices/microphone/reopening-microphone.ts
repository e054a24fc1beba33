import type { Clock, Seconds } from '../../time/clock.js';
import type { TapHit, Unsubscribe } from '../interfaces.js';
import { Listeners } from '../../support/listeners.js';
import type { DeviceLog } from '../../support/log.js';
import type { LevelMeter, MicrophonePad, MicrophoneTapPad } from './microphone-tap-pad.js';

export interface ReopeningMicrophoneOptions {
  /** The device as the performer configured it ("plughw:1,0"). */
  name: string;
  /** Opens the capture; rejects (a DeviceMissingError of one line) when the microphone is not there. */
  open(): Promise<MicrophoneTapPad>;
  clock: Clock;
  log: DeviceLog;
  /** The sensitivity to start with (the config's); kept across reopening. */
  sensitivity: number;
  /** How often a missing or pulled microphone is looked for. */
  lookEvery?: Seconds;
}

const SILENCE: LevelMeter = { peak: -120, rms: -120 };

/**
 * The box's microphone through USB cables being pulled and plugged: one
 * MicrophonePad for the box's whole run, whatever capture is open beneath it.
 * Missing at start: one line, then looked for every `lookEvery` without a
 * word; pulled: the capture's own line; back: one line, and taps flow again
 * with the sensitivity the panel last set. ALSA says nothing when a card
 * comes back, so looking means starting arecord again: a process every few
 * seconds while the microphone is away, none while it is there.
 */
export class ReopeningMicrophone implements MicrophonePad {
  readonly name: string;
  readonly #options: ReopeningMicrophoneOptions;
  readonly #hits = new Listeners<[TapHit]>();
  #pad: MicrophoneTapPad | null = null;
  #sensitivity: number;
  #missing: string | null = null;
  #cancelLook: (() => void) | null = null;
  #closed = false;

  constructor(options: ReopeningMicrophoneOptions) {
    this.name = options.name;
    this.#options = options;
    this.#sensitivity = options.sensitivity;
  }

  /** Opens the microphone now; when it is not there, says so once and keeps looking. Never rejects. */
  async start(): Promise<void> {
    await this.#open(true);
  }

  get open(): boolean {
    return this.#pad !== null;
  }

  get sensitivity(): number {
    return this.#sensitivity;
  }

  setSensitivity(sensitivity: number): void {
    if (!(typeof sensitivity === 'number' && sensitivity >= 0 && sensitivity <= 1))
      throw new RangeError(`microphone sensitivity: expected a number 0..1, got ${JSON.stringify(sensitivity)}`);
    this.#pad?.setSensitivity(sensitivity);
    this.#sensitivity = sensitivity;
  }

  takeLevel(): LevelMeter {
    return this.#pad?.takeLevel() ?? SILENCE;
  }

  onHit(listener: (hit: TapHit) => void): Unsubscribe {
    return this.#hits.add(listener);
  }

  trouble(): string | null {
    return this.#missing;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#cancelLook?.();
    this.#hits.clear();
    const pad = this.#pad;
    this.#pad = null;
    await pad?.close();
  }

  async #open(first: boolean): Promise<void> {
    const { open, log, name } = this.#options;
    let pad: MicrophoneTapPad;
    try {
      pad = await open();
    } catch (error) {
      const reason = (error as Error).message.split('\n')[0];
      if (first) log.warn(`${reason}; the box plays on without it, looking for it every ${this.#lookEvery} s`);
      this.#missing = reason;
      this.#lookAgain();
      return;
    }
    if (this.#closed) {
      await pad.close();
      return;
    }
    pad.setSensitivity(this.#sensitivity);
    pad.onHit((hit) => this.#hits.emit(hit));
    // The pad says it has gone in its own line; looking for it again is this one's job.
    pad.input.onEnd(() => {
      if (this.#pad !== pad) return;
      this.#pad = null;
      this.#missing = pad.trouble() ?? 'capture ended';
      void pad.close().catch(() => {});
      this.#lookAgain();
    });
    this.#pad = pad;
    this.#missing = null;
    if (!first) log.info(`microphone ${name} is back: taking taps from it again`);
  }

  get #lookEvery(): Seconds {
    return this.#options.lookEvery ?? 2;
  }

  #lookAgain(): void {
    if (this.#closed) return;
    this.#cancelLook = this.#options.clock.setTimeout(() => {
      this.#cancelLook = null;
      if (!this.#closed) void this.#open(false);
    }, this.#lookEvery);
  }
}
