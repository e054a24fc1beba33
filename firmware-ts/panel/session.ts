import type { ButtonName } from '../devices/interfaces.js';
import type { DeviceLog } from '../support/log.js';
import type { Clock, Seconds } from '../time/clock.js';
import { PageClockSync } from './clock-sync.js';
import { parseClientMessage, PanelMessageError, type ClientMessage, type PanelCommand } from './client-messages.js';
import type { ServerMessage } from './protocol.js';
import type { VirtualButtons, VirtualStepGrid, VirtualTapPad, VirtualTempo } from './virtual-devices.js';
import type { VirtualMidiInput } from './virtual-midi-input.js';

/** What a session needs from its server: the devices to drive and where commands go. */
export interface SessionHost {
  clock: Clock;
  log: DeviceLog;
  grid: VirtualStepGrid;
  tapPad: VirtualTapPad;
  buttons: VirtualButtons;
  tempo: VirtualTempo;
  /** The page's Web MIDI notes (absent: not taken). */
  midiIn?: VirtualMidiInput;
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
 * A ping unanswered this long means the page is gone. A page that vanishes
 * without closing (phone Wi-Fi drops: no FIN) would otherwise hold its keys
 * until the kernel gives up on the TCP connection, ~15 minutes. A live page
 * answers from its message handler within a round trip (milliseconds; a
 * phone's Wi-Fi power save adds a few hundred), and TCP rides out a short
 * stall or a roam between access points within a few seconds: 10 s is two
 * resync intervals, well past both, and a stuck SHIFT lasts at most
 * ANSWER_DEADLINE + RESYNC_INTERVAL after the last answer.
 */
export const ANSWER_DEADLINE: Seconds = 10;

/**
 * One open page. Turns its messages into device events with daemon times,
 * answers every message it cannot use with one error line, and on close
 * releases whatever that page was holding down (a closed tab must not leave
 * SHIFT held on the box). A page that stops answering pings is closed the
 * same way: it may have vanished without a word.
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
  #cancelDeadline: (() => void) | null = null;
  readonly #onUnanswered: (() => void) | null;
  /** The slow command (slot file, model load) this page is waiting for: one at a time, so a page cannot pile up slot writes. */
  #running: PanelCommand | null = null;
  /** The latest slow command sent meanwhile: it runs next; an earlier waiting one is replaced. */
  #waiting: PanelCommand | null = null;
  #errors = 0;
  #closed = false;

  /**
   * `onUnanswered` is called after the session has closed itself because a
   * ping went unanswered past ANSWER_DEADLINE: the owner of the socket drops it.
   */
  constructor(
    host: SessionHost,
    send: (message: ServerMessage) => void,
    readonly name: string,
    onUnanswered?: () => void,
  ) {
    this.#host = host;
    this.#send = send;
    this.#onUnanswered = onUnanswered ?? null;
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
    if (!this.#cancelDeadline) this.#watchOldestPing();
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
      this.#host.log.warn(
        `internal error handling a ${message.type} message from ${this.name}: ${(err as Error)?.stack ?? err}`,
      );
      this.#reject(`internal error handling ${message.type}: ${(err as Error)?.message ?? err}`);
    }
  }

  /** The page went away: release what it held, stop pinging. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelResync?.();
    this.#cancelDeadline?.();
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
        // The page plays the loop on the daemon's clock: it needs the mapping too.
        const estimate = this.sync.estimate();
        if (estimate) this.#send({ type: 'clock', offset: estimate.offset, error: estimate.error });
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
      case 'midi':
        this.#host.midiIn?.receive(m.bytes, this.sync.toDaemonTime(m.time, now));
        return;
      case 'command': {
        const { type: _type, ...rest } = m;
        const command = rest as PanelCommand;
        // Tempo, the MIDI-learn/take choices and the microphone sensitivity are instant and never wait; the rest take turns, and only the latest one waiting is kept.
        if (isInstant(command) || !this.#running) {
          this.#run(command);
          return;
        }
        if (this.#waiting)
          this.#reject(`${describeCommand(this.#waiting)} replaced by ${describeCommand(command)} before it ran`);
        this.#waiting = command;
        return;
      }
    }
  }

  #run(command: PanelCommand): void {
    const slow = !isInstant(command);
    if (slow) this.#running = command;
    (async () => this.#host.command(command))()
      .catch((err: unknown) => this.#reject(`${command.command}: ${(err as Error)?.message ?? err}`))
      .finally(() => {
        if (!slow) return;
        this.#running = null;
        const next = this.#waiting;
        this.#waiting = null;
        if (next && !this.#closed) this.#run(next);
      });
  }

  /**
   * One timer for all waiting pings: it falls due when the oldest passes
   * ANSWER_DEADLINE and, if that one was answered meanwhile, moves on to the
   * next oldest. Pings are kept in the order they were sent.
   */
  #watchOldestPing(): void {
    this.#cancelDeadline = null;
    const oldest = this.#pings.entries().next();
    if (oldest.done) return;
    const [id, sent] = oldest.value;
    this.#cancelDeadline = this.#host.clock.setTimeout(
      () => {
        this.#cancelDeadline = null;
        if (this.#closed) return;
        if (this.#pings.has(id)) this.#drop();
        else this.#watchOldestPing();
      },
      sent + ANSWER_DEADLINE - this.#host.clock.now(),
    );
  }

  #drop(): void {
    this.#host.log.info(
      `${this.name}: no answer to a ping for ${ANSWER_DEADLINE} s; dropping it and releasing what it held`,
    );
    this.close();
    this.#onUnanswered?.();
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
    if (this.#errors === 1)
      this.#host.log.warn(`${this.name}: ${error} (further errors from this page at debug level)`);
    else this.#host.log.debug(`${this.name}: ${error}`);
    if (!this.#closed) this.#send({ type: 'error', error });
  }
}

/** Commands that touch no disk and load nothing: they never wait behind a slow one (a model loading). */
function isInstant(c: PanelCommand): boolean {
  return c.command === 'tempo' || c.command === 'midi-learn' || c.command === 'take-drum' || c.command === 'microphone';
}

/** A command as the performer would say it (slots counted from 1, as on the page). */
function describeCommand(c: PanelCommand): string {
  switch (c.command) {
    case 'tempo':
      return `tempo ${c.bpm}`;
    case 'model':
      return `model ${c.name}`;
    case 'save':
    case 'load':
      return `${c.command} slot ${c.slot + 1}`;
    case 'mute':
      return `${c.muted ? 'mute' : 'unmute'} the box's sound`;
    case 'midi-learn':
      return c.drum === null ? 'MIDI-learn off' : `MIDI-learn drum ${c.drum + 1}`;
    case 'take-drum':
      return `drum ${c.drum + 1} ${c.given ? 'given' : 'not given'} from the take`;
    case 'midi-input':
      return `MIDI input ${c.port === null ? 'none' : `"${c.port}"`}`;
    case 'microphone':
      return `microphone sensitivity ${c.sensitivity}`;
  }
}

function textOf(data: string | Buffer | ArrayBuffer | Buffer[]): string {
  if (typeof data === 'string') return data;
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
