import type { Seconds } from '../../time/clock.js';

/** Messages over which the input's clock is tied to this thread's. */
const OFFSET_BLOCK = 48;

/**
 * Puts a MIDI message on this thread's clock from the driver's own arrival
 * stamp. The thread sees a message late by whatever it was busy with (a
 * garbage collection, a panel frame); the driver's stamp is not late, but it
 * is on a clock of its own. The offset between the two clocks is the least
 * difference over the last one or two blocks of messages (those that reached
 * this thread soonest), so a late message lands where it came in. An input
 * opened again starts its stamps again: `reset` then.
 * Shared by clock follow and notes-as-gestures: both need the arrival, not the delivery.
 */
export class ArrivalClock {
  #blockMin = Infinity;
  #lastMin = Infinity;
  #count = 0;

  /** A message seen at `time` (our clock) with the driver's stamp `deviceTime`: its arrival on our clock. */
  toOurClock(time: Seconds, deviceTime: Seconds | undefined): Seconds {
    if (deviceTime === undefined || !Number.isFinite(deviceTime)) return time;
    const offset = time - deviceTime;
    if (this.#count++ % OFFSET_BLOCK === 0) {
      this.#lastMin = this.#blockMin;
      this.#blockMin = Infinity;
    }
    this.#blockMin = Math.min(this.#blockMin, offset);
    return deviceTime + Math.min(this.#blockMin, this.#lastMin);
  }

  /** Forgets the offset (a new input, whose stamps start again). */
  reset(): void {
    this.#blockMin = this.#lastMin = Infinity;
    this.#count = 0;
  }
}
