import { GRID_KEYS, type Rgb, type StepGrid, type TapPad } from '../devices/interfaces.js';
import type { PanelModes } from '../controls/panel-modes.js';
import type { Seconds } from '../time/clock.js';
import { firstTrouble } from './merged-devices.js';
import type { BoxParts } from './parts.js';

/** Colours of the slot page (SHIFT+PLAY): which slots hold something and which one is loaded. */
const SLOT_EMPTY: Rgb = { r: 8, g: 8, b: 8 };
const SLOT_FILLED: Rgb = { r: 0, g: 90, b: 40 };
const SLOT_CURRENT: Rgb = { r: 0, g: 255, b: 120 };
/**
 * While a panel device is in trouble (I2C errors), this key alternates red and
 * white at ERROR_BLINK_HZ over the grid. Red alone would be taken for the
 * count-in, which lights the same key red; nothing else flashes red and white.
 */
const ERROR_KEY = GRID_KEYS - 1;
const ERROR_COLOUR: Rgb = { r: 255, g: 0, b: 0 };
const ERROR_OFF_COLOUR: Rgb = { r: 255, g: 255, b: 255 };
const ERROR_BLINK_HZ = 2;

export interface LedFrameParts extends BoxParts {
  modes: PanelModes;
  /** The step playing (null: stopped); it moves with time. */
  playhead: { readonly step: number | null; advance(now: Seconds): void };
  /** The slot loaded (null: none). */
  currentSlot(): number | null;
}

/** From the box's options: the devices whose trouble shows, and which slots hold something. */
export interface LedFrameOptions {
  devices: { grid: StepGrid | null; tapPad: TapPad | null };
  slots: { filled(): boolean[] };
}

/**
 * The grid's 16 colours: the page the keys show (the editor with the
 * playhead, or the slots), with the error key blinking over it while a panel
 * device is in trouble.
 */
export class LedFrame {
  readonly #options: LedFrameParts & LedFrameOptions;
  #lastGridError: string | null = null;
  /** What a panel device reported at the last check (null: all well), and whether the error key was lit then. */
  #trouble: string | null = null;
  #errorLit = false;

  constructor(parts: LedFrameParts, options: LedFrameOptions) {
    this.#options = { ...options, ...parts };
  }

  colors(): Rgb[] {
    const { capture, modes, clock, playhead } = this.#options;
    const colors = modes.slotPage ? this.#slotColors() : capture.colors(playhead.step);
    // One key, not the whole grid: the rest still shows what it did.
    if (this.#trouble) colors[ERROR_KEY] = errorKeyLit(clock.now()) ? ERROR_COLOUR : ERROR_OFF_COLOUR;
    return colors;
  }

  /** Sends the frame to the grid (the driver retries the bus itself: a failure is logged once per distinct problem). */
  show(): void {
    this.#options.devices.grid?.show(this.colors()).then(
      () => {
        this.#lastGridError = null;
      },
      (err: Error) => {
        if (err.message !== this.#lastGridError) this.#options.log.warn(`grid LEDs: ${err.message}`);
        this.#lastGridError = err.message;
      },
    );
  }

  /** Before each frame: what moves with time (the playhead, a take's count-in, a device in trouble) raises `changed`. */
  poll(now: Seconds): void {
    this.#options.playhead.advance(now);
    if (this.#options.capture.recorder.window) this.#options.changed.raise(); // count-in and take animate on the grid
    this.#checkDevices(now);
  }

  /** The drivers retry I2C errors themselves; the box shows that they are: a status line when trouble starts, a blinking key while it lasts. */
  #checkDevices(now: Seconds): void {
    const trouble = firstTrouble([this.#options.devices.grid, this.#options.devices.tapPad]);
    if (trouble && !this.#trouble)
      this.#options.status.say(`${trouble} (the bottom-right key flashes red and white until it recovers)`);
    const lit = trouble !== null && errorKeyLit(now);
    // Trouble ending in the white half leaves `lit` false as it was: the key must still be redrawn.
    if (lit !== this.#errorLit || (trouble === null) !== (this.#trouble === null)) this.#options.changed.raise();
    this.#trouble = trouble;
    this.#errorLit = lit;
  }

  #slotColors(): Rgb[] {
    const filled = this.#options.slots.filled();
    const current = this.#options.currentSlot();
    return Array.from({ length: GRID_KEYS }, (_, k) =>
      k === current ? SLOT_CURRENT : filled[k] ? SLOT_FILLED : SLOT_EMPTY,
    );
  }
}

function errorKeyLit(now: Seconds): boolean {
  return Math.floor(now * 2 * ERROR_BLINK_HZ) % 2 === 0;
}
