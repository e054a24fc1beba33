import type { DeviceLog } from '../support/log.js';
import type { Clock, Seconds } from '../time/clock.js';

/** How often repeated refusals are summed up in one line. */
export const REFUSAL_SUMMARY_INTERVAL: Seconds = 60;
/** The most of a request header that a log line or a refusal echoes (a Host header may be ~16 KB). */
export const MAX_ECHOED_CHARS = 80;
/** Addresses named per reason in a summary; a flood from many is "and others". */
const ADDRESSES_NAMED = 4;

/** Why a connection was refused; one log line each before the counting starts. */
export type RefusalKind = 'path' | 'host' | 'origin' | 'token' | 'full';

const KIND_LABELS: Readonly<Record<RefusalKind, string>> = {
  path: 'not the /ws path',
  host: 'host not this panel',
  origin: 'origin not this panel',
  token: 'wrong or missing token',
  full: 'too many pages open',
};

/**
 * Logs refused panel connections without letting a scanner, or a phone
 * retrying with a stale token, flood the journal: the first refusal of each
 * kind gets its own line, later ones are counted and summed up once per
 * REFUSAL_SUMMARY_INTERVAL. An interval with no repeats ends the counting,
 * so the next refusal after a quiet spell gets its own line again.
 */
export class RefusalLog {
  readonly #clock: Clock;
  readonly #log: DeviceLog;
  readonly #logged = new Set<RefusalKind>();
  readonly #repeats = new Map<RefusalKind, { count: number; addresses: Set<string>; others: boolean }>();
  #since: Seconds = 0;
  #cancelSummary: (() => void) | null = null;

  constructor(clock: Clock, log: DeviceLog) {
    this.#clock = clock;
    this.#log = log;
  }

  refused(kind: RefusalKind, address: string, reason: string): void {
    if (!this.#cancelSummary) this.#scheduleSummary();
    if (!this.#logged.has(kind)) {
      this.#logged.add(kind);
      this.#log.info(
        `refused a panel connection from ${address}: ${reason} (more of these are counted, summed up every ${REFUSAL_SUMMARY_INTERVAL} s)`,
      );
      return;
    }
    let repeats = this.#repeats.get(kind);
    if (!repeats) this.#repeats.set(kind, (repeats = { count: 0, addresses: new Set(), others: false }));
    repeats.count++;
    if (repeats.addresses.has(address)) return;
    if (repeats.addresses.size < ADDRESSES_NAMED) repeats.addresses.add(address);
    else repeats.others = true;
  }

  /** Sums up what is still counted and stops the timer (the server is closing). */
  close(): void {
    this.#cancelSummary?.();
    this.#cancelSummary = null;
    this.#summarise();
  }

  #scheduleSummary(): void {
    this.#since = this.#clock.now();
    this.#cancelSummary = this.#clock.setTimeout(() => {
      this.#cancelSummary = null;
      if (this.#repeats.size === 0) {
        this.#logged.clear();
        return;
      }
      this.#summarise();
      // The flood is still on: keep counting for another interval.
      this.#scheduleSummary();
    }, REFUSAL_SUMMARY_INTERVAL);
  }

  #summarise(): void {
    if (this.#repeats.size === 0) return;
    let total = 0;
    const parts: string[] = [];
    for (const [kind, { count, addresses, others }] of this.#repeats) {
      total += count;
      parts.push(`${count} ${KIND_LABELS[kind]} (from ${[...addresses].join(', ')}${others ? ' and others' : ''})`);
    }
    this.#repeats.clear();
    const seconds = Math.round(this.#clock.now() - this.#since);
    this.#log.info(
      `refused ${total} more panel connection${total === 1 ? '' : 's'} in the last ${seconds} s: ${parts.join('; ')}`,
    );
  }
}

/** A request header as a log line or a refusal may show it: printable ASCII, at most MAX_ECHOED_CHARS. */
export function echoHeader(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, '?');
  return printable.length <= MAX_ECHOED_CHARS
    ? printable
    : `${printable.slice(0, MAX_ECHOED_CHARS)}... (${value.length} characters)`;
}
