import type { Clock } from '../../time/clock.js';
import { Ads1115, Ads1115Sampler } from '../ads1115/ads1115.js';
import type { GpioInput } from '../gpio/gpio.js';
import type { I2cBus } from '../i2c/bus.js';
import type { TapHit, TapPad, Unsubscribe } from '../interfaces.js';
import { Listeners } from '../../support/listeners.js';
import { namespacedLog, type DeviceLog } from '../../support/log.js';
import { OnsetDetector, type OnsetOptions } from './onset-detector.js';

export interface Ads1115TapPadOptions {
  bus: I2cBus;
  clock: Clock;
  address?: number;
  channel?: number;
  /** ALERT/RDY line; without it the ADC is polled on a timer (coarser sample times). */
  ready?: GpioInput;
  onset?: Partial<OnsetOptions>;
  log?: DeviceLog;
}

const percent = (level: number): string => `${(level * 100).toFixed(0)}%`;

/** The piezo pad: ADS1115 samples -> onset detector -> strokes. */
export class Ads1115TapPad implements TapPad {
  readonly sampler: Ads1115Sampler;
  readonly detector: OnsetDetector;
  readonly #listeners = new Listeners<[TapHit]>();
  readonly #log: DeviceLog;
  #stuckReported = false;

  private constructor(sampler: Ads1115Sampler, detector: OnsetDetector, log: DeviceLog, fullScaleVolts: number) {
    this.sampler = sampler;
    this.detector = detector;
    this.#log = log;
    sampler.onSample(({ level, time }) => {
      const hit = detector.push(level, time);
      if (hit) {
        this.#listeners.emit(hit);
        // A bring-up aid (GROOVEBOX_DEBUG=groovebox:tap-pad): how hard the piezo hit the ADC, and what velocity that made.
        this.#log.debug(
          () =>
            `tap: peak ${percent(detector.lastPeak)} of full scale (${(detector.lastPeak * fullScaleVolts).toFixed(2)} V), velocity ${hit.velocity.toFixed(2)}`,
        );
      }
      // A floor this high means a shorted or disconnected input, not a quiet pad; say so once.
      if (!this.#stuckReported && detector.floor > 0.25) {
        this.#stuckReported = true;
        this.#log.warn(
          `tap pad input sits at ${percent(detector.floor)} of full scale: check the piezo wiring (strokes are suppressed until it drops)`,
        );
      }
    });
  }

  /** Configures the ADC (throws DeviceMissingError when absent) and starts sampling. */
  static async open(options: Ads1115TapPadOptions): Promise<Ads1115TapPad> {
    const log = options.log ?? namespacedLog('groovebox:tap-pad');
    const detector = new OnsetDetector(options.onset);
    const adc = await Ads1115.open({ bus: options.bus, address: options.address, channel: options.channel });
    const sampler = new Ads1115Sampler({ adc, clock: options.clock, ready: options.ready, log });
    const pad = new Ads1115TapPad(sampler, detector, log, adc.fullScaleVolts);
    sampler.start();
    return pad;
  }

  onHit(listener: (hit: TapHit) => void): Unsubscribe {
    return this.#listeners.add(listener);
  }

  trouble(): string | null {
    return this.sampler.trouble();
  }

  async close(): Promise<void> {
    this.sampler.stop();
    this.#listeners.clear();
  }
}
