import type { Seconds } from '../../time/clock.js';
import type { Gpio, GpioInput } from '../gpio/gpio.js';
import type { TempoControl, Unsubscribe } from '../interfaces.js';
import { Listeners } from '../../support/listeners.js';

export const DEFAULT_ENCODER_PINS = { a: 23, b: 24 } as const;

/**
 * Quadrature steps: index = previous AB << 2 | new AB; +1 / -1 for a valid
 * Gray-code step, 0 for no change or an impossible jump (both lines at once —
 * a bounce, which is thereby ignored rather than miscounted).
 */
const STEP = [0, -1, 1, 0, 1, 0, 0, -1, -1, 0, 0, 1, 0, 1, -1, 0];

/**
 * The tempo knob: a detented quadrature encoder (e.g. Bourns PEC11R, 24
 * detents, 4 quadrature steps per detent) on two GPIO lines to GND.
 * Chosen over +/- buttons: one turn sweeps 24 BPM, fast to reach and to undo.
 */
export class RotaryEncoder implements TempoControl {
  readonly #listeners = new Listeners<[number, Seconds]>();
  readonly #a: GpioInput;
  readonly #b: GpioInput;
  readonly #stepsPerDetent: number;
  #state: number;
  #count = 0;

  private constructor(a: GpioInput, b: GpioInput, stepsPerDetent: number) {
    this.#a = a;
    this.#b = b;
    this.#stepsPerDetent = stepsPerDetent;
    this.#state = (a.read() << 1) | b.read();
    const onEdge = (_level: number, time: Seconds): void => this.#update(time);
    a.onEdge(onEdge);
    b.onEdge(onEdge);
  }

  static async open(options: {
    gpio: Gpio;
    pins?: { a: number; b: number };
    stepsPerDetent?: number;
  }): Promise<RotaryEncoder> {
    const pins = options.pins ?? DEFAULT_ENCODER_PINS;
    const steps = options.stepsPerDetent ?? 4;
    if (![1, 2, 4].includes(steps))
      throw new RangeError(`tempo encoder stepsPerDetent: expected 1, 2 or 4, got ${steps}`);
    const a = await options.gpio.input(pins.a, { edge: 'both', activeLow: true, label: 'tempo encoder A' });
    let b: GpioInput;
    try {
      b = await options.gpio.input(pins.b, { edge: 'both', activeLow: true, label: 'tempo encoder B' });
    } catch (err) {
      a.close();
      throw err;
    }
    return new RotaryEncoder(a, b, steps);
  }

  #update(time: Seconds): void {
    const next = (this.#a.read() << 1) | this.#b.read();
    this.#count += STEP[(this.#state << 2) | next];
    this.#state = next;
    // Back in the detent with less than a detent counted: a bounce or a half turn; forget it.
    if (next === 0 && Math.abs(this.#count) < this.#stepsPerDetent) this.#count = 0;
    if (Math.abs(this.#count) >= this.#stepsPerDetent) {
      const detents = Math.trunc(this.#count / this.#stepsPerDetent);
      this.#count -= detents * this.#stepsPerDetent;
      this.#listeners.emit(detents, time);
    }
  }

  onTurn(listener: (detents: number, time: Seconds) => void): Unsubscribe {
    return this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    this.#a.close();
    this.#b.close();
    this.#listeners.clear();
  }
}
