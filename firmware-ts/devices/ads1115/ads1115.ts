import type { Clock, Seconds } from '../../time/clock.js';
import { DeviceMissingError } from '../errors.js';
import type { I2cBus } from '../i2c/bus.js';
import { hex } from '../i2c/bus.js';
import { RetryBackoff } from '../i2c/backoff.js';
import { ChipLink, type ChipIo } from '../i2c/chip-link.js';
import type { Edge, GpioInput } from '../gpio/gpio.js';
import { Listeners, type Unsubscribe } from '../interfaces.js';
import type { DeviceLog } from '../log.js';
import { consoleLog } from '../log.js';
import * as R from './registers.js';

/**
 * The edge to watch ALERT/RDY on. In RDY mode the chip pulls the line low for
 * ~8 us per conversion; onoff reads the pin when its epoll callback runs, tens
 * of us to ms later, and passes a 'falling' edge on only if it still reads
 * low: almost never. The trailing (rising) edge leaves the line high until
 * the next conversion, so onoff delivers it.
 */
export const ADS1115_READY_EDGE: Edge = 'rising';

export interface Ads1115Options {
  bus: I2cBus;
  address?: number;
  /** AIN0..AIN3, single-ended against GND. */
  channel?: number;
  /** PGA code 0..5 (default 1 = +-4.096 V). */
  pga?: number;
}

/**
 * The ADS1115 as the tap pad uses it: configured once for continuous 860 SPS
 * with ALERT/RDY as a conversion-ready pulse, then read as fast as samples come.
 */
export class Ads1115 {
  /** Selecting a register and reading it are two transactions: nothing of this chip's may land between them. */
  readonly #link: ChipLink;
  readonly address: number;
  readonly config: number;
  readonly fullScaleVolts: number;
  /** The chip's pointer still selects the conversion register (no need to resend it). */
  #pointerAtConversion = false;

  private constructor(options: Ads1115Options) {
    this.address = options.address ?? R.ADS1115_ADDRESS;
    this.#link = new ChipLink(options.bus, this.address);
    const channel = options.channel ?? 0;
    const pga = options.pga ?? 1;
    if (!Number.isInteger(channel) || channel < 0 || channel > 3) throw new RangeError(`ADS1115 channel: expected 0..3, got ${channel}`);
    if (!Number.isInteger(pga) || pga < 0 || pga > 5) throw new RangeError(`ADS1115 pga: expected a PGA code 0..5, got ${pga}`);
    this.config = R.tapPadConfig(channel, pga);
    this.fullScaleVolts = R.PGA_FULL_SCALE[pga];
  }

  /**
   * Writes the thresholds (RDY mode) and then the config (which starts
   * continuous conversion), reads the config back to prove the chip is an
   * ADS1115 that took it, and leaves the pointer on the conversion register.
   */
  static async open(options: Ads1115Options): Promise<Ads1115> {
    const adc = new Ads1115(options);
    const where = `ADS1115 tap pad ADC (${hex(adc.address)})`;
    let readBack: number;
    try {
      readBack = await adc.#link.exclusive(async (io) => {
        await adc.#configure(io);
        return adc.#readConfig(io);
      });
    } catch (err) {
      throw new DeviceMissingError(where, `no answer on the I2C bus (${(err as { code?: string }).code ?? (err as Error).message})`);
    }
    // OS reads back as conversion status, not what was written: compare the rest.
    if ((readBack & ~R.OS_BIT) !== (adc.config & ~R.OS_BIT)) {
      throw new DeviceMissingError(where, `config read back as ${hex(readBack, 4)}, wrote ${hex(adc.config, 4)}: not an ADS1115?`);
    }
    await adc.#link.write(Uint8Array.of(R.REG_CONVERSION));
    adc.#pointerAtConversion = true;
    return adc;
  }

  /** The latest conversion, signed 16-bit. */
  readConversion(): Promise<number> {
    return this.#link.exclusive(async (io) => {
      try {
        if (!this.#pointerAtConversion) {
          await io.write(Uint8Array.of(R.REG_CONVERSION));
          this.#pointerAtConversion = true;
        }
        const bytes = await io.read(2);
        return R.toSigned16(bytes[0], bytes[1]);
      } catch (err) {
        // After a bus error we cannot be sure where the pointer is; select it again next time.
        this.#pointerAtConversion = false;
        throw err;
      }
    });
  }

  /** The thresholds (RDY mode) first, then the config, which starts continuous conversion. */
  async #configure(io: ChipIo): Promise<void> {
    this.#pointerAtConversion = false;
    await this.#writeRegister(io, R.REG_LO_THRESH, R.RDY_LO_THRESH);
    await this.#writeRegister(io, R.REG_HI_THRESH, R.RDY_HI_THRESH);
    await this.#writeRegister(io, R.REG_CONFIG, this.config);
  }

  /** Reads the config register back; leaves the pointer there. */
  async #readConfig(io: ChipIo): Promise<number> {
    this.#pointerAtConversion = false;
    const bytes = await io.transfer(Uint8Array.of(R.REG_CONFIG), 2);
    return (bytes[0] << 8) | bytes[1];
  }

  #writeRegister(io: ChipIo, register: number, value: number): Promise<void> {
    return io.write(Uint8Array.of(register, (value >> 8) & 0xff, value & 0xff));
  }
}

export interface AdcSample {
  /** Normalised input: raw / 32767, negative readings (the clamp's undershoot) as 0. */
  level: number;
  raw: number;
  time: Seconds;
}

export interface SamplerOptions {
  adc: Ads1115;
  clock: Clock;
  /** ALERT/RDY wired to a GPIO, opened with ADS1115_READY_EDGE: each edge = a conversion ready. Without it the sampler polls at `pollInterval`. */
  ready?: GpioInput;
  pollInterval?: Seconds;
  log?: DeviceLog;
}

/**
 * Pulls samples out of the ADS1115 as conversions complete. Each sample is
 * stamped with the time of its ready edge, not the time its read finished.
 * A ready edge that arrives while the previous read is still in flight is
 * counted as an overrun and skipped (the chip has already overwritten it).
 * Bus errors pause reading with backoff and are logged once per outage.
 */
export class Ads1115Sampler {
  readonly #adc: Ads1115;
  readonly #clock: Clock;
  readonly #ready?: GpioInput;
  readonly #pollInterval: Seconds;
  readonly #backoff: RetryBackoff;
  readonly #listeners = new Listeners<[AdcSample]>();
  #busy = false;
  #resumeAt: Seconds = -Infinity;
  #stopReady: Unsubscribe | null = null;
  #cancelPoll: (() => void) | null = null;
  #running = false;
  overruns = 0;
  samples = 0;

  constructor(options: SamplerOptions) {
    this.#adc = options.adc;
    this.#clock = options.clock;
    this.#ready = options.ready;
    this.#pollInterval = options.pollInterval ?? 1 / 860;
    this.#backoff = new RetryBackoff(`ADS1115 @${hex(options.adc.address)}`, options.log ?? consoleLog('groovebox:ads1115'), options.clock);
  }

  onSample(listener: (sample: AdcSample) => void): Unsubscribe {
    return this.#listeners.add(listener);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (this.#ready) {
      // Every delivered edge is one conversion, whatever level onoff read after the 8 us pulse.
      this.#stopReady = this.#ready.onEdge((_level, time) => { void this.sample(time); });
    } else {
      const loop = (): void => {
        this.#cancelPoll = this.#clock.setTimeout(() => {
          void this.sample(this.#clock.now()).finally(() => { if (this.#running) loop(); });
        }, this.#pollInterval);
      };
      loop();
    }
  }

  stop(): void {
    this.#running = false;
    this.#stopReady?.();
    this.#cancelPoll?.();
    this.#stopReady = this.#cancelPoll = null;
  }

  /** Reads one conversion that completed at `time`. Resolves false when skipped (busy, backing off) or failed. */
  async sample(time: Seconds): Promise<boolean> {
    if (this.#busy) { this.overruns++; return false; }
    if (time < this.#resumeAt) return false;
    this.#busy = true;
    try {
      const raw = await this.#adc.readConversion();
      this.#backoff.succeeded();
      this.samples++;
      this.#listeners.emit({ raw, level: Math.max(0, raw) / 32767, time });
      return true;
    } catch (err) {
      this.#resumeAt = this.#clock.now() + this.#backoff.failed(err);
      return false;
    } finally {
      this.#busy = false;
    }
  }
}
