import type { Clock, Seconds } from '../../time/clock.js';
import type { FakeGpioPin } from '../gpio/fake-gpio.js';
import type { FakeI2cDevice } from '../i2c/fake-bus.js';
import * as R from './registers.js';

/**
 * An ADS1115 at register level, with a piezo attached. The driver writes the
 * pointer/config/threshold registers as on the chip; the test drives the
 * signal (hit, noise, stick) and the conversions (convert), and the fake
 * pulses its ALERT/RDY pin when the comparator is in conversion-ready mode.
 */
export class FakeAds1115 implements FakeI2cDevice {
  config = R.CONFIG_RESET;
  loThresh = R.LO_THRESH_RESET;
  hiThresh = R.HI_THRESH_RESET;
  conversion = 0;
  conversions = 0;
  #pointer = R.REG_CONVERSION;
  #hits: { velocity: number; at: Seconds }[] = [];
  #noise = 0;
  #stuck: number | null = null;
  #seed = 12345;
  #ready?: FakeGpioPin;

  /** `ready`: the fake GPIO line ALERT/RDY is wired to (idle high, open drain with pull-up). */
  constructor(
    readonly clock: Clock,
    ready?: FakeGpioPin,
  ) {
    if (ready) this.wireReady(ready);
  }

  get ready(): FakeGpioPin | undefined {
    return this.#ready;
  }

  /** Connects ALERT/RDY to `pin` (e.g. one discovery opened after the chip was attached); the pull-up holds it high. */
  wireReady(pin: FakeGpioPin): this {
    this.#ready = pin;
    pin.set(1);
    return this;
  }

  /** The ALRT wire breaks (or was never soldered): the chip converts on, the pin sees no pulse. wireReady mends it. */
  cutReady(): this {
    this.#ready = undefined;
    return this;
  }

  /** A stroke on the pad at `at` with velocity 0..1: a ringing, decaying burst whose peak is velocity x 3.3 V. */
  hit(velocity: number, at: Seconds): this {
    this.#hits.push({ velocity, at });
    return this;
  }

  /** Uniform noise of +-`amplitude` (as a fraction of full scale) on every conversion. */
  noise(amplitude: number): this {
    this.#noise = amplitude;
    return this;
  }

  /** Every conversion reads `raw` (a stuck or shorted input); null undoes it. */
  stick(raw: number | null): this {
    this.#stuck = raw;
    return this;
  }

  get continuous(): boolean {
    return (this.config & R.MODE_SINGLE_SHOT) === 0;
  }

  get samplesPerSecond(): number {
    return R.DATA_RATES[(this.config >> R.DR_SHIFT) & 0b111];
  }

  /** ALERT/RDY pulses per conversion only with Hi_thresh MSB 1, Lo_thresh MSB 0 and the comparator enabled. */
  get readyMode(): boolean {
    return (
      (this.hiThresh & 0x8000) !== 0 &&
      (this.loThresh & 0x8000) === 0 &&
      (this.config & R.COMP_QUE_MASK) !== R.COMP_QUE_MASK
    );
  }

  /** The signal at the input now, in volts as the ADC's full scale counts them. */
  signal(t: Seconds): number {
    if (this.#stuck !== null) return this.#stuck;
    const fullScale = R.PGA_FULL_SCALE[(this.config >> R.PGA_SHIFT) & 0b111];
    let volts = 0;
    for (const { velocity, at } of this.#hits) {
      const dt = t - at;
      if (dt < 0 || dt > 0.2) continue;
      // A piezo rings at a few hundred Hz and dies away in tens of ms; the clamp keeps it under 3.3 V.
      volts +=
        3.3 *
        velocity *
        (1 - Math.exp(-dt / 0.0006)) *
        Math.exp(-dt / 0.015) *
        Math.abs(Math.cos(2 * Math.PI * 170 * dt));
    }
    volts = Math.min(3.3, volts);
    let raw = Math.round((volts / fullScale) * 32767);
    if (this.#noise > 0) raw += Math.round((this.#random() * 2 - 1) * this.#noise * 32767);
    return Math.max(-32768, Math.min(32767, raw));
  }

  /**
   * One conversion completes now (in continuous mode): the conversion
   * register takes the input and ALERT/RDY pulses. Returns false when the
   * chip is not converting continuously (the driver did not configure it).
   */
  convert(): boolean {
    if (!this.continuous) return false;
    this.conversion = this.signal(this.clock.now()) & 0xffff;
    this.conversions++;
    if (this.readyMode) this.ready?.pulse();
    return true;
  }

  /** The chip loses power and comes back: power-on registers (single-shot, comparator off: no conversions, no RDY). The pad's signal stays. */
  powerCycle(): void {
    this.config = R.CONFIG_RESET;
    this.loThresh = R.LO_THRESH_RESET;
    this.hiThresh = R.HI_THRESH_RESET;
    this.conversion = 0;
    this.#pointer = R.REG_CONVERSION;
  }

  /** A fresh chip and a quiet pad: power-on registers, no strokes, noise or stuck input, conversions counted from 0. */
  reset(): void {
    this.powerCycle();
    this.conversions = 0;
    this.#hits = [];
    this.#noise = 0;
    this.#stuck = null;
  }

  onWrite(bytes: Uint8Array): void {
    if (bytes.length !== 1 && bytes.length !== 3)
      throw new Error(`FakeAds1115: writes are 1 (pointer) or 3 (pointer + 16-bit value) bytes, got ${bytes.length}`);
    const pointer = bytes[0];
    if (pointer > 3) throw new Error(`FakeAds1115: pointer ${pointer} is not a register (0..3)`);
    this.#pointer = pointer;
    if (bytes.length === 1) return;
    const value = (bytes[1] << 8) | bytes[2];
    if (pointer === R.REG_CONVERSION) throw new Error('FakeAds1115: the conversion register is read-only');
    if (pointer === R.REG_CONFIG) this.config = value & ~R.OS_BIT;
    if (pointer === R.REG_LO_THRESH) this.loThresh = value;
    if (pointer === R.REG_HI_THRESH) this.hiThresh = value;
  }

  onRead(length: number): Uint8Array {
    const value = [this.conversion, this.config | (this.continuous ? 0 : R.OS_BIT), this.loThresh, this.hiThresh][
      this.#pointer
    ];
    const out = new Uint8Array(length);
    out[0] = (value >> 8) & 0xff;
    if (length > 1) out[1] = value & 0xff;
    return out;
  }

  #random(): number {
    // Deterministic (xorshift) so a noisy-ADC test fails the same way every run.
    let x = this.#seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#seed = x >>> 0;
    return this.#seed / 0x100000000;
  }
}
