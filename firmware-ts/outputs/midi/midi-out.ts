import { DRUMS } from '../../pattern/drums.js';
import { LATE_NOTE_LIMIT, type SequencerEvent } from '../../sequencer/events.js';
import type { Sequencer } from '../../sequencer/sequencer.js';
import type { Clock, Seconds } from '../../time/clock.js';
import { allNotesOff, CLOCK, CONTINUE, noteOff, noteOn, songPosition, START, STOP } from './messages.js';
import { MidiPortError, type MidiPort, type MidiPortOpener } from './midi-port.js';
import { NOTE_MAP_PRESETS, validateNoteMap, type NoteMap } from './note-map.js';
import { SendLoop, type SendItem } from './send-loop.js';
import { LINEAR, toMidiVelocity, validateVelocityCurve, type VelocityCurve } from './velocity-curve.js';

export interface MidiOutOptions {
  /** The send loop's clock. On the box: SystemClock (performance.now), the same one the sequencer runs on. */
  clock: Clock;
  /** Opens the port; called again after a failure or a disconnect. */
  open: MidiPortOpener;
  noteMap?: NoteMap;
  /** Time from note-on to note-off. Drum machines mostly ignore it; samplers and synths do not. */
  noteLength?: Seconds;
  velocityCurve?: VelocityCurve;
  /** Send MIDI clock (24 PPQN), start/stop/continue and song position. Default true. */
  sendClock?: boolean;
  /**
   * Converts a sequencer time into the send loop's clock. Identity when both run on
   * the same clock (the box); explicit so that a different sequencer clock cannot be
   * mixed up silently.
   */
  toPortTime?: (t: Seconds) => Seconds;
  /** Seconds between attempts to (re)open the port. */
  retryInterval?: Seconds;
  /** Real-time precision (setImmediate + spin). Must be false with an OfflineClock. */
  precise?: boolean;
  log?: (message: string) => void;
  /** Called right after each successful send with the time it was due and the time it left (send-loop clock). */
  onSend?: (bytes: readonly number[], due: Seconds, sentAt: Seconds) => void;
}

/** Seconds between two log lines about notes that arrived too late. */
const LATE_LOG_INTERVAL: Seconds = 10;

/** A gap between sends long enough to open a port in, and how long a retry waits for one. */
const OPEN_GAP: Seconds = 0.02;
const OPEN_GAP_WAIT: Seconds = 0.25;
/** How often a port that can tell (present()) is asked whether its device is still there. */
const PRESENCE_INTERVAL: Seconds = 0.5;
/**
 * Listing the system's ports is quicker than opening one: it needs a shorter gap,
 * which MIDI clock leaves up to 240 BPM (a pulse every 10.4 ms).
 */
const PRESENCE_GAP: Seconds = 0.005;

interface QueuedNote extends SendItem {
  key: number;
  kind: 'on' | 'off';
  /** The note-off of this note-on, or the note-on of this note-off. */
  partner?: QueuedNote;
}

/**
 * Sequencer events -> MIDI bytes on the wire at their time. Owns the port's
 * life: if it cannot open (no ALSA sequencer, nothing plugged in) or it goes
 * away, it says so once, keeps accepting events (audio plays on), and retries
 * until the device is back.
 */
export class MidiOut {
  readonly #clock: Clock;
  readonly #open: MidiPortOpener;
  readonly #noteMap: NoteMap;
  readonly #noteLength: Seconds;
  readonly #curve: VelocityCurve;
  readonly #sendClock: boolean;
  readonly #toPortTime: (t: Seconds) => Seconds;
  readonly #retryInterval: Seconds;
  readonly #log: (message: string) => void;
  readonly #onSend?: MidiOutOptions['onSend'];
  readonly #loop: SendLoop;

  #port: MidiPort | null = null;
  #opening = false;
  #closed = false;
  #cancelRetry: (() => void) | null = null;
  /** What was last said about the port, so a retry loop does not repeat itself. */
  #lastProblem: string | null = null;
  /** Keys (channel << 8 | note) whose note-on has left and whose note-off has not. */
  readonly #sounding = new Set<number>();
  /** The queued note-off per key, so a retrigger can release the previous note first. */
  readonly #pendingOff = new Map<number, QueuedNote>();
  #dropped = 0;
  #late = 0;
  #lateLoggedAt: Seconds = -Infinity;
  /** When the current retry began to wait for a gap between sends to open the port in. */
  #gapWaitSince: Seconds | null = null;
  #cancelPresence: (() => void) | null = null;
  #presenceWaitSince: Seconds | null = null;

  constructor(options: MidiOutOptions) {
    this.#clock = options.clock;
    this.#open = options.open;
    this.#noteMap = validateNoteMap(options.noteMap ?? NOTE_MAP_PRESETS.gm);
    this.#noteLength = options.noteLength ?? 0.05;
    if (!(this.#noteLength > 0 && this.#noteLength <= 10))
      throw new RangeError(`noteLength: expected seconds in (0, 10], got ${this.#noteLength}`);
    this.#curve = validateVelocityCurve(options.velocityCurve ?? LINEAR);
    this.#sendClock = options.sendClock ?? true;
    this.#toPortTime = options.toPortTime ?? ((t) => t);
    this.#retryInterval = options.retryInterval ?? 0.5;
    this.#log = options.log ?? ((m) => process.stderr.write(`groovebox:midi ${m}\n`));
    this.#onSend = options.onSend;
    this.#loop = new SendLoop({
      clock: this.#clock,
      precise: options.precise ?? false,
      onError: (e) => this.#log(`send failed: ${(e as Error)?.message ?? e}`),
    });
  }

  /** True while a port is open. */
  get connected(): boolean {
    return this.#port !== null;
  }

  get portName(): string | null {
    return this.#port?.name ?? null;
  }

  /** Messages that fell due while no port was open. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Notes that arrived more than LATE_NOTE_LIMIT after their time and were not played. */
  get late(): number {
    return this.#late;
  }

  /** Notes whose note-on has left and whose note-off has not, as [channel 1..16, note]. */
  soundingNotes(): [number, number][] {
    return [...this.#sounding].map((k) => [(k >> 8) + 1, k & 0x7f]);
  }

  /** Tries to open the port now; on failure logs once and keeps retrying in the background. */
  async connect(): Promise<boolean> {
    if (this.#port || this.#opening || this.#closed) return this.#port !== null;
    this.#opening = true;
    try {
      const port = await this.#open();
      if (this.#closed) {
        port.close();
        return false;
      }
      this.#port = port;
      const reconnected = this.#lastProblem !== null;
      this.#log(reconnected ? `MIDI out back: "${port.name}"` : `MIDI out on "${port.name}"`);
      this.#lastProblem = null;
      this.#gapWaitSince = null;
      this.#schedulePresenceCheck();
      // Note-offs that fell due while the cable was out never arrived: release everything
      // on our channels before the first new note, so nothing hangs on the device.
      if (reconnected) this.releaseAll();
      return true;
    } catch (error) {
      this.#problem(
        `MIDI out unavailable (${(error as Error)?.message ?? error}); audio keeps playing, retrying every ${this.#retryInterval} s`,
      );
      this.#scheduleRetry();
      return false;
    } finally {
      this.#opening = false;
    }
  }

  /** Subscribes to a sequencer; returns the unsubscribe function. */
  attach(sequencer: Sequencer): () => void {
    return sequencer.on((event) => this.handle(event));
  }

  /** Queues the bytes for one sequencer event at its time. Cheap: no I/O here. */
  handle(event: SequencerEvent): void {
    if (this.#closed) return;
    const at = this.#toPortTime(event.time);
    switch (event.type) {
      case 'note':
        // Handed over after its time (the sender stalled past the look-ahead): a burst of
        // catch-up notes would be heard as flams. Clock pulses still go: a slave counts them.
        if (at < this.#clock.now() - LATE_NOTE_LIMIT) return this.#dropLate();
        return this.#queueNote(event.drum, event.velocity, at);
      case 'pulse':
        if (this.#sendClock) this.#loop.schedule(at, () => this.#send([CLOCK], at));
        return;
      case 'start':
      case 'continue': {
        if (!this.#sendClock) return;
        // The pointer first, while the receiver is still stopped; then start/continue.
        const spp = songPosition(event.position);
        const status = event.type === 'start' ? START : CONTINUE;
        this.#loop.schedule(at, () => {
          this.#send(spp, at);
          this.#send([status], at);
        });
        return;
      }
      case 'stop':
        return this.#stopAt(at);
    }
  }

  /** All Notes Off, now, on every channel the note map uses: for when what is sounding on the device is unknown. */
  releaseAll(): void {
    const now = this.#clock.now();
    for (const channel of new Set(DRUMS.map((d) => this.#noteMap[d]?.channel).filter((c) => c !== undefined)))
      this.#send(allNotesOff(channel), now);
  }

  /** Sends note-offs for everything sounding, stops retrying and closes the port. */
  close(): void {
    if (this.#closed) return;
    this.#loop.clear();
    for (const key of this.#sounding) this.#send(noteOff((key >> 8) + 1, key & 0x7f), this.#clock.now());
    this.#sounding.clear();
    this.#pendingOff.clear();
    this.#closed = true;
    this.#cancelRetry?.();
    this.#cancelPresence?.();
    this.#port?.close();
    this.#port = null;
  }

  #queueNote(drum: number, velocity: number, at: Seconds): void {
    const target = this.#noteMap[DRUMS[drum]];
    if (!target) return;
    const { channel, note } = target;
    const key = ((channel - 1) << 8) | note;
    // A retrigger before the previous note-off: release the old note right before the new one.
    const previousOff = this.#pendingOff.get(key);
    if (previousOff && previousOff.at > at) {
      previousOff.run = () => {};
      this.#queueOff(key, channel, note, at, previousOff.partner);
    }
    const bytes = noteOn(channel, note, toMidiVelocity(velocity, this.#curve));
    const on: QueuedNote = {
      at,
      key,
      kind: 'on',
      run: () => {
        if (this.#send(bytes, at)) this.#sounding.add(key);
      },
    };
    this.#loop.schedule(at, () => on.run());
    this.#queueOff(key, channel, note, at + this.#noteLength, on);
  }

  #queueOff(key: number, channel: number, note: number, at: Seconds, on?: QueuedNote): void {
    const bytes = noteOff(channel, note);
    const off: QueuedNote = {
      at,
      key,
      kind: 'off',
      partner: on,
      run: () => {
        if (this.#pendingOff.get(key) === off) this.#pendingOff.delete(key);
        this.#send(bytes, at);
        this.#sounding.delete(key);
      },
    };
    this.#pendingOff.set(key, off);
    this.#loop.schedule(at, () => off.run());
  }

  #dropLate(): void {
    this.#late++;
    const now = this.#clock.now();
    if (now - this.#lateLoggedAt < LATE_LOG_INTERVAL) return;
    this.#lateLoggedAt = now;
    this.#log(
      `notes arrived over ${LATE_NOTE_LIMIT * 1000} ms after their time and were dropped, as audio drops them (${this.#late} so far)`,
    );
  }

  #stopAt(at: Seconds): void {
    // Everything due after the stop is void; notes that will have started by then are released at the stop.
    this.#loop.removeAfter(at);
    const release = new Set<number>(this.#sounding);
    for (const [key, off] of this.#pendingOff)
      if (off.at > at && (!off.partner || off.partner.at <= at)) release.add(key);
    this.#pendingOff.clear();
    this.#loop.schedule(at, () => {
      if (this.#sendClock) this.#send([STOP], at);
      for (const key of release) {
        this.#send(noteOff((key >> 8) + 1, key & 0x7f), at);
        this.#sounding.delete(key);
      }
    });
  }

  /** The only place bytes leave. A failure here drops the port and starts the retry loop. */
  #send(bytes: readonly number[], due: Seconds): boolean {
    const port = this.#port;
    if (!port) {
      this.#dropped++;
      return false;
    }
    const sentAt = this.#clock.now();
    try {
      port.send(bytes);
    } catch (error) {
      const reason = (error as Error)?.message ?? String(error);
      // Only a device fault drops the port; a message the driver cannot send is our bug, said once.
      if (error instanceof MidiPortError) this.#lose(port, reason);
      else this.#problem(`MIDI out "${port.name}" could not send [${bytes.join(', ')}]: ${reason}`);
      return false;
    }
    this.#onSend?.(bytes, due, sentAt);
    return true;
  }

  #lose(port: MidiPort, reason: string): void {
    this.#port = null;
    this.#sounding.clear();
    this.#cancelPresence?.();
    this.#cancelPresence = null;
    this.#presenceWaitSince = null;
    try {
      port.close();
    } catch {
      // already gone
    }
    this.#problem(
      `MIDI out "${port.name}" lost (${reason}); audio keeps playing, retrying every ${this.#retryInterval} s`,
    );
    this.#scheduleRetry();
  }

  #schedulePresenceCheck(delay: Seconds = PRESENCE_INTERVAL): void {
    this.#cancelPresence?.();
    this.#cancelPresence = null;
    if (!this.#port?.present || this.#closed) return;
    this.#cancelPresence = this.#clock.setTimeout(() => this.#checkPresence(), delay);
  }

  #checkPresence(): void {
    this.#cancelPresence = null;
    const port = this.#port;
    if (!port || this.#closed) return;
    // Listing the system's ports takes a moment: in a gap between sends. When the next
    // send is too close, look again just after it, where the gap to the one after is widest.
    const now = this.#clock.now();
    this.#presenceWaitSince ??= now;
    if (this.#noGapYet(now, this.#presenceWaitSince, PRESENCE_GAP))
      return this.#schedulePresenceCheck(this.#loop.nextAt() - now + 0.0005);
    this.#presenceWaitSince = null;
    let present = true;
    try {
      present = port.present!();
    } catch {
      // a list that cannot be read is no proof the device went
    }
    if (present) return this.#schedulePresenceCheck();
    this.#lose(port, 'no longer listed by the system, or plugged in again');
  }

  /** True while the next send is under `gap` away and we have waited less than OPEN_GAP_WAIT for a gap. */
  #noGapYet(now: Seconds, since: Seconds, gap: Seconds = OPEN_GAP): boolean {
    return this.#loop.nextAt() - now < gap && now - since < OPEN_GAP_WAIT;
  }

  #problem(message: string): void {
    if (message === this.#lastProblem) return;
    this.#lastProblem = message;
    this.#log(message);
  }

  #scheduleRetry(): void {
    if (this.#cancelRetry || this.#closed) return;
    this.#cancelRetry = this.#clock.setTimeout(() => this.#retry(), this.#retryInterval);
  }

  #retry(): void {
    this.#cancelRetry = null;
    if (this.#closed || this.#port) return;
    // Opening RtMidi takes milliseconds: do it in a gap between sends if one comes soon.
    // With MIDI clock above 125 BPM no gap is that long, so after a while open anyway:
    // one late message when the device comes back beats no MIDI at all.
    const now = this.#clock.now();
    this.#gapWaitSince ??= now;
    if (this.#noGapYet(now, this.#gapWaitSince)) {
      this.#cancelRetry = this.#clock.setTimeout(() => this.#retry(), 0.005);
      return;
    }
    this.#gapWaitSince = null;
    void this.connect();
  }
}
