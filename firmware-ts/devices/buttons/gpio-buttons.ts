import type { Clock, Seconds } from '../../time/clock.js';
import type { Gpio, GpioInput } from '../gpio/gpio.js';
import { BUTTON_NAMES, type ButtonEvent, type ButtonName, type Buttons, type Unsubscribe } from '../interfaces.js';
import { Listeners } from '../../support/listeners.js';
import { Debouncer } from './debouncer.js';

/** BCM lines of the function buttons (see hardware/wiring.md). Each button shorts its line to GND. */
export const DEFAULT_BUTTON_PINS: Readonly<Record<ButtonName, number>> = {
  play: 5,
  rec: 6,
  mode: 13,
  shift: 22,
  generate: 26,
  page: 16,
};

export interface GpioButtonsOptions {
  gpio: Gpio;
  clock: Clock;
  pins?: Partial<Record<ButtonName, number>>;
  /** Lockout after an edge; tactile switches bounce for 1-10 ms. */
  debounce?: Seconds;
}

/** The function buttons on GPIO lines, active low with pull-ups, debounced. */
export class GpioButtons implements Buttons {
  readonly #listeners = new Listeners<[ButtonEvent]>();
  readonly #inputs: GpioInput[] = [];
  readonly #debouncers = new Map<ButtonName, Debouncer>();

  private constructor() {}

  static async open(options: GpioButtonsOptions): Promise<GpioButtons> {
    const pins = { ...DEFAULT_BUTTON_PINS, ...options.pins };
    for (const [name, bcm] of Object.entries(pins)) {
      if (!BUTTON_NAMES.includes(name as ButtonName))
        throw new RangeError(`buttons: unknown button "${name}" (expected one of ${BUTTON_NAMES.join(', ')})`);
      const dup = Object.entries(pins).find(([other, b]) => other !== name && b === bcm);
      if (dup) throw new RangeError(`buttons: ${name} and ${dup[0]} are both on BCM ${bcm}`);
    }
    const buttons = new GpioButtons();
    try {
      for (const name of BUTTON_NAMES) {
        const input = await options.gpio.input(pins[name], {
          edge: 'both',
          activeLow: true,
          label: `${name.toUpperCase()} button`,
        });
        buttons.#inputs.push(input);
        const debouncer = new Debouncer(
          options.clock,
          options.debounce ?? 0.015,
          () => input.read(),
          (level, time) => {
            buttons.#listeners.emit({ button: name, pressed: level === 1, time });
          },
        );
        buttons.#debouncers.set(name, debouncer);
        input.onEdge((level, time) => debouncer.edge(level, time));
      }
    } catch (err) {
      await buttons.close();
      throw err;
    }
    return buttons;
  }

  onButton(listener: (event: ButtonEvent) => void): Unsubscribe {
    return this.#listeners.add(listener);
  }

  isDown(button: ButtonName): boolean {
    return this.#debouncers.get(button)?.level === 1;
  }

  async close(): Promise<void> {
    for (const d of this.#debouncers.values()) d.dispose();
    for (const input of this.#inputs) input.close();
    this.#listeners.clear();
  }
}
