import {
  BUTTON_NAMES,
  GRID_KEYS,
  type ButtonEvent,
  type ButtonName,
  type Buttons,
  type KeyEvent,
  type Rgb,
  type StepGrid,
  type TapHit,
  type TapPad,
  type TempoControl,
  type Unsubscribe,
} from '../devices/interfaces.js';
import { Listeners } from '../support/listeners.js';
import type { Seconds } from '../time/clock.js';

/**
 * The panel's devices: the same interfaces as the NeoTrellis, the piezo pad,
 * the GPIO buttons and the encoder, fed by pages instead of wires. Several
 * pages may be open at once, so each device keeps the obligations of its
 * interface itself: a key or button already down is not pressed again, one
 * already up is not released again (two pages cannot make a listener see
 * press, press). After `close` nothing is delivered.
 */

export class VirtualStepGrid implements StepGrid {
  readonly #listeners: Listeners<[KeyEvent]>;
  readonly #down = new Set<number>();
  readonly #onShow: (colors: Rgb[]) => void;
  #colors: Rgb[] = Array.from({ length: GRID_KEYS }, () => ({ r: 0, g: 0, b: 0 }));
  #closed = false;

  constructor(onShow: (colors: Rgb[]) => void, onListenerError?: (err: unknown) => void) {
    this.#onShow = onShow;
    this.#listeners = new Listeners<[KeyEvent]>(onListenerError);
  }

  onKey(listener: (event: KeyEvent) => void): Unsubscribe {
    return this.#listeners.add(listener);
  }

  /** Like the hardware driver: exactly 16 colours, channels clamped to bytes; unchanged frames are not resent. */
  async show(colors: readonly Rgb[]): Promise<void> {
    if (colors.length !== GRID_KEYS)
      throw new RangeError(`grid show: expected ${GRID_KEYS} colours, got ${colors.length}`);
    const next = colors.map((c) => ({ r: byte(c.r), g: byte(c.g), b: byte(c.b) }));
    if (this.#closed || next.every((c, k) => sameRgb(c, this.#colors[k]))) return;
    this.#colors = next;
    this.#onShow(next);
  }

  /** The colours last shown. */
  get colors(): Rgb[] {
    return this.#colors.map((c) => ({ ...c }));
  }

  /** Returns false when the event would repeat the key's present state (and was dropped). */
  key(key: number, pressed: boolean, time: Seconds): boolean {
    if (this.#closed || !Number.isInteger(key) || key < 0 || key >= GRID_KEYS) return false;
    if (this.#down.has(key) === pressed) return false;
    if (pressed) this.#down.add(key);
    else this.#down.delete(key);
    this.#listeners.emit({ key, pressed, time });
    return true;
  }

  isDown(key: number): boolean {
    return this.#down.has(key);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
  }
}

export class VirtualTapPad implements TapPad {
  readonly #listeners: Listeners<[TapHit]>;
  #closed = false;

  constructor(onListenerError?: (err: unknown) => void) {
    this.#listeners = new Listeners<[TapHit]>(onListenerError);
  }

  onHit(listener: (hit: TapHit) => void): Unsubscribe {
    return this.#listeners.add(listener);
  }

  hit(velocity: number, time: Seconds): void {
    if (this.#closed) return;
    this.#listeners.emit({ velocity: Math.min(1, Math.max(0, velocity)), time });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
  }
}

export class VirtualButtons implements Buttons {
  readonly #listeners: Listeners<[ButtonEvent]>;
  readonly #down = new Set<ButtonName>();
  #closed = false;

  constructor(onListenerError?: (err: unknown) => void) {
    this.#listeners = new Listeners<[ButtonEvent]>(onListenerError);
  }

  onButton(listener: (event: ButtonEvent) => void): Unsubscribe {
    return this.#listeners.add(listener);
  }

  isDown(button: ButtonName): boolean {
    return this.#down.has(button);
  }

  /** Returns false when the event would repeat the button's present state (and was dropped). */
  set(button: ButtonName, pressed: boolean, time: Seconds): boolean {
    if (this.#closed || !BUTTON_NAMES.includes(button)) return false;
    if (this.#down.has(button) === pressed) return false;
    // Update before emitting: a listener that asks isDown() must agree with the event it is handling.
    if (pressed) this.#down.add(button);
    else this.#down.delete(button);
    this.#listeners.emit({ button, pressed, time });
    return true;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
  }
}

export class VirtualTempo implements TempoControl {
  readonly #listeners: Listeners<[number, Seconds]>;
  #closed = false;

  constructor(onListenerError?: (err: unknown) => void) {
    this.#listeners = new Listeners<[number, Seconds]>(onListenerError);
  }

  onTurn(listener: (detents: number, time: Seconds) => void): Unsubscribe {
    return this.#listeners.add(listener);
  }

  turn(detents: number, time: Seconds): void {
    if (this.#closed || !Number.isInteger(detents) || detents === 0) return;
    this.#listeners.emit(detents, time);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
  }
}

function byte(v: number): number {
  return Number.isFinite(v) ? Math.min(255, Math.max(0, Math.round(v))) : 0;
}

function sameRgb(a: Rgb, b: Rgb | undefined): boolean {
  return !!b && a.r === b.r && a.g === b.g && a.b === b.b;
}
