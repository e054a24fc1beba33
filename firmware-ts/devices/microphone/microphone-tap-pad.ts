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

/**
 * A microphone as the box sees it: a tap pad, plus what the panel shows and
 * sets (its level and its sensitivity). The real one and tests' share it.
 */
export interface MicrophonePad extends TapPad {
  /** What the performer knows it by: the ALSA device ("plughw:1,0"), "fake" in tests. */
  readonly name: string;
  /** The detector's sensitivity, 0..1. */
  readonly sensitivity: number;
  /** Changes the live detector's sensitivity (RangeError of one line outside 0..1). */
  setSensitivity(sensitivity: number): void;
  /** The loudest block since the last call (peak and RMS, dBFS): a meter read a few times a second still shows every tap. */
  takeLevel(): LevelMeter;
}

export interface MicrophoneTapPadOptions {
  input: AudioInput;
  /** For the panel and the log (default: the ALSA device of an ArecordInput, else "audio input"). */
  name?: string;
  onset?: Partial<Omit<AudioOnsetOptions, 'sampleRate'>>;
  log?: DeviceLog;
}

const dB = (x: number): number => 20 * Math.log10(Math.max(x, 1e-6));

/**
 * A microphone (or any audio input) as the tap pad: blocks -> onset detector
 * -> strokes, in the same TapHit shape as the piezo's, so the tap recorder
 * and everything after it cannot tell them apart.
 */
export class MicrophoneTapPad implements MicrophonePad {
  readonly input: AudioInput;
  readonly name: string;
  readonly detector: AudioOnsetDetector;
  readonly #listeners = new Listeners<[TapHit]>();
  readonly #log: DeviceLog;
  readonly #unsubscribe: Unsubscribe[];
  #meter: LevelMeter = { peak: -120, rms: -120 };
  /** The loudest block since takeLevel() last read it. */
  #held: LevelMeter | null = null;
  #trouble: string | null = null;

  constructor(options: MicrophoneTapPadOptions) {
    this.input = options.input;
    this.name = options.name ?? (options.input instanceof ArecordInput ? options.input.device : 'audio input');
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

  takeLevel(): LevelMeter {
    const held = this.#held ?? this.#meter;
    this.#held = null;
    return held;
  }

  get sensitivity(): number {
    return this.detector.options.sensitivity;
  }

  setSensitivity(sensitivity: number): void {
    this.detector.setSensitivity(sensitivity);
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
    if (!this.#held || this.#meter.peak > this.#held.peak) this.#held = this.#meter;
    for (const onset of this.detector.push(block.samples, block.time)) {
      this.#listeners.emit({ time: onset.time, velocity: onset.velocity });
      this.#log.debug(
        () =>
          `tap: ${onset.level.toFixed(1)} dBFS, velocity ${onset.velocity.toFixed(2)}, ${((onset.knownAt - onset.time) * 1000).toFixed(1)} ms to detect`,
      );
    }
  }
}
