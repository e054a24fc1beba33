import type { Clock, Seconds } from '../../time/clock.js';
import type { Unsubscribe } from '../interfaces.js';
import { Listeners } from '../../support/listeners.js';
import type { Gpio, GpioInput, InputOptions, Level } from './gpio.js';
import { checkBcm } from './gpio.js';

/**
 * A GPIO whose edges tests trigger. `pin(bcm).set(level)` changes the logical
 * level (after active-low) and fires the edge listeners the line was opened
 * for, stamped with the clock's present time. Edges reach listeners the way
 * onoff passes them on (see `pulse`).
 */
export class FakeGpio implements Gpio {
  readonly #pins = new Map<number, FakeGpioPin>();

  constructor(readonly clock: Clock) {}

  async input(bcm: number, options: InputOptions): Promise<GpioInput> {
    checkBcm(bcm, options.label);
    if (this.#pins.get(bcm)?.open)
      throw new Error(`FakeGpio: BCM ${bcm} (${options.label}) is already open as ${this.#pins.get(bcm)!.label}`);
    const pin = new FakeGpioPin(bcm, options, this.clock);
    this.#pins.set(bcm, pin);
    return pin;
  }

  /** The line at `bcm`, once a driver has opened it. */
  pin(bcm: number): FakeGpioPin {
    const pin = this.#pins.get(bcm);
    if (!pin)
      throw new Error(`FakeGpio: nothing opened BCM ${bcm} (open: ${[...this.#pins.keys()].join(', ') || 'none'})`);
    return pin;
  }

  async close(): Promise<void> {
    for (const pin of this.#pins.values()) pin.close();
  }
}

export class FakeGpioPin implements GpioInput {
  readonly label: string;
  readonly edge: InputOptions['edge'];
  #level: Level = 0;
  #listeners = new Listeners<[Level, Seconds]>();
  open = true;

  constructor(
    readonly bcm: number,
    options: InputOptions,
    readonly clock: Clock,
  ) {
    this.label = options.label;
    this.edge = options.edge;
  }

  read(): Level {
    return this.#level;
  }

  onEdge(listener: (level: Level, time: Seconds) => void): Unsubscribe {
    return this.#listeners.add(listener);
  }

  /** Drives the line and holds it there (longer than any read). No change, no edge (as on a real pin). */
  set(level: Level): void {
    if (!this.open || level === this.#level) return;
    this.#level = level;
    this.#deliver();
  }

  /**
   * A pulse shorter than any read (the ADS1115's 8 us ALERT/RDY pulse): the
   * line leaves its level and is back before onoff's epoll callback reads the
   * pin, tens of us to ms later. onoff passes on the level it reads, and only
   * when that level is where a watched edge ends (onoff.js, pollerEventHandler):
   * so the pulse is delivered at most once, with the idle level, and a
   * 'falling' watch on a low pulse delivers nothing.
   */
  pulse(): void {
    if (this.open) this.#deliver();
  }

  /** What onoff does after an interrupt: read the level, call the listeners if a watched edge ends at it. */
  #deliver(): void {
    const level = this.#level;
    if (this.edge === 'both' || (this.edge === 'rising') === (level === 1))
      this.#listeners.emit(level, this.clock.now());
  }

  close(): void {
    this.open = false;
    this.#listeners.clear();
  }
}
