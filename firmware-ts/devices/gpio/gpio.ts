import type { Seconds } from '../../time/clock.js';
import type { Unsubscribe } from '../interfaces.js';

/** A logical level: 1 = active (after any active-low inversion), 0 = inactive. */
export type Level = 0 | 1;
export type Edge = 'rising' | 'falling' | 'both';

export interface InputOptions {
  edge: Edge;
  /** Invert the pin: a button to ground with a pull-up reads 1 when pressed. */
  activeLow?: boolean;
  /** What is wired there ("PLAY button"): used in messages. */
  label: string;
}

/**
 * One GPIO input line, named by its BCM number. Obligations: `onEdge`
 * listeners get the level after each configured edge and the time the edge
 * was seen, in order; `read` returns the present level.
 */
export interface GpioInput {
  readonly bcm: number;
  readonly label: string;
  read(): Level;
  onEdge(listener: (level: Level, time: Seconds) => void): Unsubscribe;
  close(): void;
}

/** Hands out input lines. The real one sits on sysfs via `onoff`; the fake is driven by tests. */
export interface Gpio {
  input(bcm: number, options: InputOptions): Promise<GpioInput>;
  close(): Promise<void>;
}

/** BCM lines on the 40-pin header. */
export function checkBcm(bcm: number, label: string): void {
  if (!Number.isInteger(bcm) || bcm < 0 || bcm > 27) {
    throw new RangeError(`${label}: BCM line ${JSON.stringify(bcm)} is not a header GPIO (expected an integer 0..27)`);
  }
}
