import type { ButtonName } from '../devices/interfaces.js';
import type { DeviceLog } from '../devices/log.js';
import type { Clock, Seconds } from '../time/clock.js';
import { PageClockSync } from './clock-sync.js';
import { parseClientMessage, PanelMessageError, type ClientMessage, type PanelCommand, type ServerMessage } from './protocol.js';
import type { VirtualButtons, VirtualStepGrid, VirtualTapPad, VirtualTempo } from './virtual-devices.js';

/** What a session needs from its server: the devices to drive and where commands go. */
export interface SessionHost {
  clock: Clock;
  log: DeviceLog;
  grid: VirtualStepGrid;
  tapPad: VirtualTapPad;
  buttons: VirtualButtons;
  tempo: VirtualTempo;
  /** Runs a command; a thrown error (or rejection) is reported to the page that sent it. */
  command(command: PanelCommand): Promise<void>;
}

/** The first exchanges come back to back, so a fresh page has a good offset before the first tap. */
const BURST = 5;
/** Then one exchange now and then, to follow the drift between the two clocks. */
export const RESYNC_INTERVAL: Seconds = 5;
/** More unanswered pings than this means the page is not answering; stop adding to the table. */
const MAX_OUTSTANDING_PINGS = 4;

/**
 * One open page. Turns its messages into device events with daemon times,
 * answers every message it cannot use with one error line, and on close
 * releases whatever that page was holding down (a closed tab must not leave
 * SHIFT held on the box).
 */
export class PanelSession {
  readonly #host: SessionHost;
  readonly #send: (message: ServerMessage) => void;
  readonly sync = new PageClockSync();
  readonly #pings = new Map<number, Seconds>();
  readonly #heldKeys = new Set<number>();
  readonly #heldButtons = new Set<ButtonName>();
  #nextPing = 1;
  #exchanges = 0;
  #cancelResync: (() => void) | null = null;
  #errors = 0;
  #closed = false;

  constructor(host: SessionHost, send: (message: ServerMessage) => void, readonly name: string) {
    this.#host = host;
    this.#send = send;
  }

  /** Messages answered with an error so far. */
  get errors(): number {
    return this.#errors;
  }

  /** Sends a ping now; the answer refines the page clock estimate. */
  ping(): void {
    if (this.#closed || this.#pings.size >= MAX_OUTSTANDING_PINGS) return;
    const id = this.#nextPing++;
    this.#pings.set(id, this.#host.clock.now());
    this.#send({ type: 'ping', id });
  }

  /** One frame from the page. Never throws: whatever goes wrong becomes an error message to the page. */
  receive(data: string | Buffer | ArrayBuffer | Buffer[], isBinary = false): void {
    if (this.#closed) return;
    if (isBinary) {
      this.#reject('binary frames are not accepted: send JSON text');
      return;
    }
    let message: ClientMessage;
    try {
      message = parseClientMessage(textOf(data));
    } catch (err) {
      this.#reject(err instanceof PanelMessageError ? err.message : `unreadable message: ${(err as Error).message}`);
      return;
    }
    try {
      this.#dispatch(message);
    } catch (err) {
      // A bug on our side must not take the daemon down with it: say so once, keep serving.
      this.#host.log.warn(`internal error handling a ${message.type} message from ${this.name}: ${(err as Error)?.stack ?? err}`);
      this.#reject(`internal error handling ${message.type}: ${(err as Error)?.message ?? err}`);
    }
  }

  /** The page went away: release what it held, stop pinging. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelResync?.();
    const now = this.#host.clock.now();
    for (const key of this.#heldKeys) this.#host.grid.key(key, false, now);
    for (const button of this.#heldButtons) this.#host.buttons.set(button, false, now);
    this.#heldKeys.clear();
    this.#heldButtons.clear();
  }

  #dispatch(m: ClientMessage): void {
    const now = this.#host.clock.now();
    switch (m.type) {
      case 'pong': {
        const sent = this.#pings.get(m.id);
        if (sent === undefined) {
          this.#reject(`pong: no ping ${m.id} is waiting for an answer`);
          return;
        }
        this.#pings.delete(m.id);
        this.sync.add({ sent, received: now, pageMs: m.time });
        this.#exchanges++;
        if (this.#exchanges < BURST) this.ping();
        else if (this.#exchanges === BURST) this.#scheduleResync();
        return;
      }
      case 'key':
        if (this.#host.grid.key(m.key, m.pressed, this.sync.toDaemonTime(m.time, now))) {
          if (m.pressed) this.#heldKeys.add(m.key);
          else this.#heldKeys.delete(m.key);
        }
        return;
      case 'button':
        if (this.#host.buttons.set(m.button, m.pressed, this.sync.toDaemonTime(m.time, now))) {
          if (m.pressed) this.#heldButtons.add(m.button);
          else this.#heldButtons.delete(m.button);
        }
        return;
      case 'tap':
        this.#host.tapPad.hit(m.velocity, this.sync.toDaemonTime(m.time, now));
        return;
      case 'turn':
        this.#host.tempo.turn(m.detents, this.sync.toDaemonTime(m.time, now));
        return;
      case 'command': {
        const { type: _type, ...command } = m;
        this.#host.command(command as PanelCommand).catch((err: unknown) => this.#reject(`${m.command}: ${(err as Error)?.message ?? err}`));
        return;
      }
    }
  }

  #scheduleResync(): void {
    this.#cancelResync = this.#host.clock.setTimeout(() => {
      this.ping();
      this.#scheduleResync();
    }, RESYNC_INTERVAL);
  }

  #reject(error: string): void {
    this.#errors++;
    // The first bad message is worth a log line; a flood of them must not flood the journal.
    if (this.#errors === 1) this.#host.log.warn(`${this.name}: ${error} (further errors from this page at debug level)`);
    else this.#host.log.debug(`${this.name}: ${error}`);
    if (!this.#closed) this.#send({ type: 'error', error });
  }
}

function textOf(data: string | Buffer | ArrayBuffer | Buffer[]): string {
  if (typeof data === 'string') return data;
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
