import type { Clock, Seconds } from '../../time/clock.js';
import { DeviceMissingError } from '../errors.js';
import type { I2cBus } from '../i2c/bus.js';
import { hex } from '../i2c/bus.js';
import { RetryBackoff } from '../i2c/backoff.js';
import { ChipLink, type ChipIo } from '../i2c/chip-link.js';
import type { Edge, GpioInput } from '../gpio/gpio.js';
import type { Unsubscribe } from '../interfaces.js';
import { Listeners } from '../../support/listeners.js';
import { namespacedLog, type DeviceLog } from '../../support/log.js';
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
    if (!Number.isInteger(channel) || channel < 0 || channel > 3)
      throw new RangeError(`ADS1115 channel: expected 0..3, got ${channel}`);
    if (!Number.isInteger(pga) || pga < 0 || pga > 5)
      throw new RangeError(`ADS1115 pga: expected a PGA code 0..5, got ${pga}`);
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
      throw new DeviceMissingError(
        where,
        `no answer on the I2C bus (${(err as { code?: string }).code ?? (err as Error).message})`,
      );
    }
    if (!adc.#tookConfig(readBack)) {
      throw new DeviceMissingError(
        where,
        `config read back as ${hex(readBack, 4)}, wrote ${hex(adc.config, 4)}: not an ADS1115?`,
      );
    }
    await adc.#link.write(Uint8Array.of(R.REG_CONVERSION));
    adc.#pointerAtConversion = true;
    return adc;
  }

  /**
   * Reads the config register back and, when the chip has lost it (a power
   * cycle leaves it single-shot with the comparator off: no conversions, no
   * RDY), writes the thresholds and config again. True when it had to.
   */
  ensureConfigured(): Promise<boolean> {
    return this.#link.exclusive(async (io) => {
      if (this.#tookConfig(await this.#readConfig(io))) return false;
      await this.#configure(io);
      return true;
    });
  }

  /** OS reads back as conversion status, not what was written: compare the rest. */
  #tookConfig(readBack: number): boolean {
    return (readBack & ~R.OS_BIT) === (this.config & ~R.OS_BIT);
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

/** RDY pulses come 860 times a second: this long without one and the chip has stopped converting (or the wire is off). */
const READY_SILENCE: Seconds = 0.05;
/** Checks in a row that find the chip configured yet RDY silent before that is called a wiring fault (and polling takes over). */
const SILENT_CHECKS_TO_POLL = 2;
/** While RDY stays silent on a chip that looks configured, checks back off to this. */
const MAX_SILENT_CHECK_INTERVAL: Seconds = 2;
/**
 * Polled, a chip that lost power between two reads (no bus error) returns its
 * last conversion forever: a dead pad. So every so often a polled read checks
 * the configuration first (one more transaction a second out of 860).
 */
const POLLED_CONFIG_CHECK_INTERVAL: Seconds = 1;

/**
 * Pulls samples out of the ADS1115 as conversions complete. Each sample is
 * stamped with the time of its ready edge, not the time its read finished.
 * A ready edge that arrives while the previous read is still in flight is
 * counted as an overrun and skipped (the chip has already overwritten it).
 * Bus errors pause reading with backoff and are logged once per outage; the
 * first read after them checks the chip still has its configuration, as
 * does one polled read a second. With RDY wired, reads happen only on its
 * edges, so a watchdog checks the chip when no edge has come for 50 ms; a
 * chip that is configured yet sends no edges (a broken ALRT wire, a missing
 * pull-up) is polled instead.
 */
export class Ads1115Sampler {
  readonly #adc: Ads1115;
  readonly #clock: Clock;
  readonly #ready?: GpioInput;
  readonly #pollInterval: Seconds;
  readonly #backoff: RetryBackoff;
  readonly #log: DeviceLog;
  readonly #name: string;
  readonly #listeners = new Listeners<[AdcSample]>();
  #busy = false;
  #resumeAt: Seconds = -Infinity;
  /** Why the next read checks the chip's configuration first (it may have been power-cycled), or null. */
  #recheck: 'bus errors' | 'routine' | null = null;
  #stopReady: Unsubscribe | null = null;
  #cancelPoll: (() => void) | null = null;
  #lastReady: Seconds = 0;
  #cancelWatchdog: (() => void) | null = null;
  /** Checks in this silence that found the chip configured and converting: the wire, not the chip. */
  #silentChecks = 0;
  #running = false;
  overruns = 0;
  samples = 0;

  constructor(options: SamplerOptions) {
    this.#adc = options.adc;
    this.#clock = options.clock;
    this.#ready = options.ready;
    this.#pollInterval = options.pollInterval ?? 1 / 860;
    this.#log = options.log ?? namespacedLog('groovebox:ads1115');
    this.#name = `ADS1115 @${hex(options.adc.address)}`;
    this.#backoff = new RetryBackoff(this.#name, this.#log, options.clock);
  }

  onSample(listener: (sample: AdcSample) => void): Unsubscribe {
    return this.#listeners.add(listener);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (this.#ready) this.#readOnReady(this.#ready);
    else this.#poll();
  }

  #readOnReady(ready: GpioInput): void {
    // Every delivered edge is one conversion, whatever level onoff read after the 8 us pulse.
    this.#stopReady = ready.onEdge((_level, time) => {
      this.#lastReady = time;
      this.#silentChecks = 0;
      void this.sample(time);
    });
    this.#lastReady = this.#clock.now();
    this.#armWatchdog(READY_SILENCE);
  }

  #poll(): void {
    let checkedAt = this.#clock.now();
    const loop = (): void => {
      this.#cancelPoll = this.#clock.setTimeout(() => {
        const now = this.#clock.now();
        if (now - checkedAt >= POLLED_CONFIG_CHECK_INTERVAL) {
          checkedAt = now;
          this.#recheck ??= 'routine';
        }
        void this.sample(now).finally(() => {
          if (this.#running) loop();
        });
      }, this.#pollInterval);
    };
    loop();
  }

  /**
   * RDY is judged silent on a configured chip: read by polling from now on.
   * It stays on polling even if edges come back (a wire pushed home, or one
   * that makes contact now and then): deciding when RDY is to be trusted again
   * could flap, and polling only costs sample times up to one poll late.
   */
  #pollInsteadOfReady(quiet: Seconds): void {
    this.#stopReady?.();
    this.#stopReady = null;
    const { bcm, label } = this.#ready!;
    this.#log.warn(
      `${this.#name}: configured, yet no pulse for ${Math.round(quiet * 1000)} ms: ALERT/RDY silent on BCM ${bcm}: reading by polling instead (check the wire to ${label} and its pull-up)`,
    );
    this.#poll();
  }

  stop(): void {
    this.#running = false;
    this.#stopReady?.();
    this.#cancelPoll?.();
    this.#cancelWatchdog?.();
    this.#stopReady = this.#cancelPoll = this.#cancelWatchdog = null;
  }

  #armWatchdog(delay: Seconds): void {
    if (!this.#running || this.#cancelWatchdog) return;
    this.#cancelWatchdog = this.#clock.setTimeout(() => {
      this.#cancelWatchdog = null;
      void this.#watch();
    }, delay);
  }

  /** No RDY edge for READY_SILENCE: read the config back and put it right, with backoff while nothing changes. */
  async #watch(): Promise<void> {
    const quiet = this.#clock.now() - this.#lastReady;
    if (quiet < READY_SILENCE) {
      // Not less than a few ms: a remainder of 1e-17 s would not move the clock and the timer would fire forever.
      this.#armWatchdog(Math.max(READY_SILENCE - quiet, READY_SILENCE / 10));
      return;
    }
    let next: Seconds;
    try {
      const reconfigured = await this.#adc.ensureConfigured();
      this.#recheck = null;
      this.#backoff.succeeded();
      if (reconfigured) {
        this.#logReconfigured(`no ALERT/RDY pulse for ${Math.round(quiet * 1000)} ms`);
        next = READY_SILENCE;
      } else if (this.#clock.now() - this.#lastReady >= READY_SILENCE) {
        // One silent check can be a stalled event loop (timers run before the queued edges); two cannot.
        this.#silentChecks++;
        if (this.#silentChecks >= SILENT_CHECKS_TO_POLL) {
          if (this.#running) this.#pollInsteadOfReady(this.#clock.now() - this.#lastReady);
          return; // no more watchdog: polled reads back off on bus errors and recheck the config after them
        }
        next = Math.min(MAX_SILENT_CHECK_INTERVAL, READY_SILENCE * 2 ** this.#silentChecks);
      } else {
        next = READY_SILENCE; // an edge came while the config was read: not silent after all
      }
    } catch (err) {
      this.#recheck = 'bus errors';
      next = Math.max(READY_SILENCE, this.#backoff.failed(err));
    }
    this.#armWatchdog(next);
  }

  #logReconfigured(why: string): void {
    this.#log.info(`${this.#name}: ${why} and its configuration was gone (a power cycle?); configured it again`);
  }

  /** Several bus errors in a row, or a configured chip whose RDY pulses do not arrive (until polling brings samples); null when samples flow. */
  trouble(): string | null {
    if (this.#backoff.failing) return `tap pad: ${this.#backoff.lastError} on the I2C bus, retrying`;
    if (this.#silentChecks >= SILENT_CHECKS_TO_POLL)
      return `tap pad: no ALERT/RDY pulses, check the wire to BCM ${this.#ready?.bcm}`;
    return null;
  }

  /** Reads one conversion that completed at `time`. Resolves false when skipped (busy, backing off) or failed. */
  async sample(time: Seconds): Promise<boolean> {
    if (this.#busy) {
      this.overruns++;
      return false;
    }
    if (time < this.#resumeAt) return false;
    this.#busy = true;
    try {
      if (this.#recheck) {
        const why = this.#recheck;
        const reconfigured = await this.#adc.ensureConfigured();
        this.#recheck = null;
        if (reconfigured) {
          this.#logReconfigured(why === 'bus errors' ? 'answering again after bus errors' : 'read by polling');
          this.#backoff.succeeded();
          return false; // the first conversion of the new configuration is not ready yet
        }
      }
      const raw = await this.#adc.readConversion();
      this.#backoff.succeeded();
      this.#silentChecks = 0; // samples flow again (by polling after a silent RDY line)
      this.samples++;
      this.#listeners.emit({ raw, level: Math.max(0, raw) / 32767, time });
      return true;
    } catch (err) {
      this.#recheck = 'bus errors';
      this.#resumeAt = this.#clock.now() + this.#backoff.failed(err);
      return false;
    } finally {
      this.#busy = false;
    }
  }
}
