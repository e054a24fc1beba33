import type { Clock } from '../../time/clock.js';
import type { TapHit, TapPad, Unsubscribe } from '../interfaces.js';
import { Listeners } from '../../support/listeners.js';
import type { DeviceLog } from '../../support/log.js';
import { namespacedLog } from '../../support/log.js';
import { ArecordInput, type ArecordInputOptions } from './arecord-input.js';
import { AudioOnsetDetector, type AudioOnsetOptions } from './audio-onset-detector.js';
import type { AudioBlock, AudioInput } from './audio-input.js';

/** The input's level now, for a meter: dB re full scale of the last block. */
export interface LevelMeter {
  peak: number;
  rms: number;
}

export interface MicrophoneTapPadOptions {
  input: AudioInput;
  onset?: Partial<Omit<AudioOnsetOptions, 'sampleRate'>>;
  log?: DeviceLog;
}

const dB = (x: number): number => 20 * Math.log10(Math.max(x, 1e-6));

/**
 * A microphone (or any audio input) as the tap pad: blocks -> onset detector
 * -> strokes, in the same TapHit shape as the piezo's, so the tap recorder
 * and everything after it cannot tell them apart.
 */
export class MicrophoneTapPad implements TapPad {
  readonly input: AudioInput;
  readonly detector: AudioOnsetDetector;
  readonly #listeners = new Listeners<[TapHit]>();
  readonly #log: DeviceLog;
  readonly #unsubscribe: Unsubscribe[];
  #meter: LevelMeter = { peak: -120, rms: -120 };
  #trouble: string | null = null;

  constructor(options: MicrophoneTapPadOptions) {
    this.input = options.input;
    this.#log = options.log ?? namespacedLog('groovebox:microphone');
    this.detector = new AudioOnsetDetector({ ...options.onset, sampleRate: options.input.sampleRate });
    this.#unsubscribe = [
      this.input.onBlock((block) => this.#block(block)),
      this.input.onEnd((error) => {
        this.#trouble = error.message;
        this.#log.warn(`${error.message}: no more taps from the microphone`);
      }),
    ];
  }

  /** Opens the ALSA capture (DeviceMissingError when there is no input) and listens. */
  static async open(
    options: Omit<ArecordInputOptions, 'sampleRate'> & {
      sampleRate?: number;
      clock: Clock;
      onset?: MicrophoneTapPadOptions['onset'];
      log?: DeviceLog;
    },
  ): Promise<MicrophoneTapPad> {
    const input = await ArecordInput.open(options);
    return new MicrophoneTapPad({ input, onset: options.onset, log: options.log });
  }

  onHit(listener: (hit: TapHit) => void): Unsubscribe {
    return this.#listeners.add(listener);
  }

  /** The last block's peak and RMS level (dBFS), for the panel's meter. */
  meter(): LevelMeter {
    return this.#meter;
  }

  trouble(): string | null {
    return this.#trouble ?? this.input.trouble?.() ?? null;
  }

  async close(): Promise<void> {
    for (const stop of this.#unsubscribe) stop();
    this.#listeners.clear();
    await this.input.close();
  }

  #block(block: AudioBlock): void {
    let peak = 0,
      power = 0;
    for (const x of block.samples) {
      peak = Math.max(peak, Math.abs(x));
      power += x * x;
    }
    this.#meter = { peak: dB(peak), rms: dB(Math.sqrt(power / Math.max(1, block.samples.length))) };
    for (const onset of this.detector.push(block.samples, block.time)) {
      this.#listeners.emit({ time: onset.time, velocity: onset.velocity });
      this.#log.debug(
        () =>
          `tap: ${onset.level.toFixed(1)} dBFS, velocity ${onset.velocity.toFixed(2)}, ${((onset.knownAt - onset.time) * 1000).toFixed(1)} ms to detect`,
      );
    }
  }
}
