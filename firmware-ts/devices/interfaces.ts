import type { Seconds } from '../time/clock.js';

/**
 * The contracts between the front panel's hardware and the rest of the box.
 * The daemon, the virtual web panel and the tests choose the implementation;
 * everything downstream (gestures, sequencer) sees only these interfaces.
 * A simulated panel implements them directly; no I2C or GPIO needed.
 */

/** Stops a subscription. Calling it twice is harmless. */
import type { Unsubscribe } from '../support/listeners.js';
export type { Unsubscribe };

/** An LED colour, each channel 0..255. */
export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export const GRID_KEYS = 16;
export const GRID_COLUMNS = 4;

/** A key of the 4x4 grid went down or up. `key` is 0..15, row-major from top left. */
export interface KeyEvent {
  key: number;
  pressed: boolean;
  /** When the driver saw the event (the grid's FIFO has no timestamps of its own). */
  time: Seconds;
}

/**
 * The step grid: 16 keys (one bar of 16ths, left to right, top to bottom)
 * with one RGB LED under each.
 * Obligations: listeners get every press and release exactly once, in order;
 * `show` takes exactly 16 colours and may be called at any rate (drivers skip
 * unchanged frames); `close` releases the hardware and stops all events.
 */
export interface StepGrid {
  onKey(listener: (event: KeyEvent) => void): Unsubscribe;
  show(colors: readonly Rgb[]): Promise<void>;
  close(): Promise<void>;
  /** What is wrong right now (e.g. I2C errors, retrying), in a few words; null when it works. Simulated devices need not say. */
  trouble?(): string | null;
}

/** One stroke on the pad. `time` is the time of the sample where the stroke began. */
export interface TapHit {
  time: Seconds;
  /** 0..1 after the velocity curve. */
  velocity: number;
}

/**
 * The tap pad: a stream of strokes. Obligations: one event per physical
 * stroke (no double triggers), time taken at the sample, not at delivery;
 * delivery may lag the stroke by the scan window (a few ms).
 */
export interface TapPad {
  onHit(listener: (hit: TapHit) => void): Unsubscribe;
  close(): Promise<void>;
  /** As StepGrid.trouble. */
  trouble?(): string | null;
}

/** The function buttons on the panel. */
export const BUTTON_NAMES = ['play', 'rec', 'mode', 'shift', 'generate', 'page'] as const;
export type ButtonName = (typeof BUTTON_NAMES)[number];

export interface ButtonEvent {
  button: ButtonName;
  pressed: boolean;
  /** Time of the first edge of the press/release (debounce does not delay the timestamp). */
  time: Seconds;
}

/**
 * Function buttons, already debounced. Obligations: presses and releases
 * alternate per button; `isDown` agrees with the last event delivered.
 */
export interface Buttons {
  onButton(listener: (event: ButtonEvent) => void): Unsubscribe;
  isDown(button: ButtonName): boolean;
  close(): Promise<void>;
}

/** The tempo knob (a detented rotary encoder): +1 per detent clockwise, -1 anticlockwise. */
export interface TempoControl {
  onTurn(listener: (detents: number, time: Seconds) => void): Unsubscribe;
  close(): Promise<void>;
}
