import type { ChangeSignal } from './changed.js';
import type { Log as BoxLog } from '../support/log.js';

/** How many lines the panel shows. */
export const STATUS_LINES = 8;

/**
 * The panel's status: short lines for the performer, newest first. Every
 * writer goes through `show` (or `say`, which also logs), so the cap holds
 * for all of them and every new line redraws the panel.
 */
export class StatusLines {
  readonly #log: BoxLog;
  readonly #changed: ChangeSignal;
  readonly #lines: string[] = [];

  constructor(log: BoxLog, changed: ChangeSignal) {
    this.#log = log;
    this.#changed = changed;
  }

  /** The newest line (undefined: none yet). */
  get latest(): string | undefined {
    return this.#lines[0];
  }

  /** A line on the panel and in the log. */
  say(message: string): void {
    this.#log.info(message);
    this.show(message);
  }

  /** A line on the panel only: the caller has logged it in its own words (or it is not worth the journal). */
  show(message: string): void {
    this.#lines.unshift(message);
    if (this.#lines.length > STATUS_LINES) this.#lines.length = STATUS_LINES;
    this.#changed.raise();
  }

  /** The lines, newest first (a copy). */
  lines(): string[] {
    return this.#lines.slice();
  }
}
