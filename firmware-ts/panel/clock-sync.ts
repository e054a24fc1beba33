import type { Seconds } from '../time/clock.js';

/** One ping exchange: the daemon's send and receive times and the page's clock when it answered. */
export interface SyncSample {
  sent: Seconds;
  received: Seconds;
  /** The page's performance.now() when it answered, in ms. */
  pageMs: number;
}

/** How many recent exchanges to keep: enough to ride out a burst of network delay, few enough to follow drift. */
const WINDOW = 8;
/**
 * A page event is never placed further back than this: a page whose clock
 * estimate is wrong (or a frame stuck in a queue) would otherwise put a tap
 * bars away from where it was meant.
 */
export const MAX_EVENT_AGE: Seconds = 0.5;

/**
 * Maps a page's performance.now() onto the daemon's clock, NTP-style: each
 * ping gives offset = midpoint(sent, received) - pageTime, true within
 * +-rtt/2; the sample with the smallest round trip is the best estimate.
 * Until the first answer there is no mapping and events take their arrival time.
 */
export class PageClockSync {
  #samples: { offset: Seconds; rtt: Seconds }[] = [];

  add(sample: SyncSample): void {
    const rtt = sample.received - sample.sent;
    if (!(rtt >= 0)) return; // a clock that ran backwards says nothing useful
    this.#samples.push({ offset: (sample.sent + sample.received) / 2 - sample.pageMs / 1000, rtt });
    if (this.#samples.length > WINDOW) this.#samples.shift();
  }

  get synced(): boolean {
    return this.#samples.length > 0;
  }

  /** Page-to-daemon offset in seconds (daemon = page + offset) and its uncertainty (half the best round trip); null before any sample. */
  estimate(): { offset: Seconds; error: Seconds } | null {
    if (this.#samples.length === 0) return null;
    let best = this.#samples[0];
    for (const s of this.#samples) if (s.rtt < best.rtt) best = s;
    return { offset: best.offset, error: best.rtt / 2 };
  }

  /**
   * The daemon time of a page event that arrived at `arrival`. The event
   * cannot have happened after it arrived, nor (see MAX_EVENT_AGE) long before.
   */
  toDaemonTime(pageMs: number, arrival: Seconds): Seconds {
    const estimate = this.estimate();
    if (!estimate) return arrival;
    const t = pageMs / 1000 + estimate.offset;
    return Math.min(arrival, Math.max(arrival - MAX_EVENT_AGE, t));
  }
}
