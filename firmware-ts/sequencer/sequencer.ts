import { DRUM_COUNT } from '../pattern/drums.js';
import { Pattern, STEPS, STEPS_PER_BAR } from '../pattern/pattern.js';
import type { Clock, Seconds } from '../time/clock.js';
import { Listeners, throttledReport } from '../support/listeners.js';
import { LATE_NOTE_LIMIT, type SequencerEvent, type SequencerListener, type TransportEvent } from './events.js';
import { clampTempo, DEFAULT_BPM, MIN_BPM, stepSeconds, type Bpm } from './tempo.js';
import { Ticker } from './ticker.js';

/** MIDI clock resolution: 24 pulses per quarter note = 6 per 16th. */
export const PULSES_PER_STEP = 6;

/** Cells whose start the sequencer remembers: more than a look-ahead holds at any tempo. */
const CELL_HISTORY = 64;

/** An out-of-range tempo is said again after this long at the earliest (per limit). */
const CLAMP_REPEAT: Seconds = 60;

/** Where a new pattern takes over. */
export type SwitchAt = 'loop' | 'bar' | 'step';

export interface SequencerOptions {
  clock: Clock;
  /** How far ahead of `now` events are handed out. Outputs need it to schedule ahead (audio) or queue (MIDI). */
  lookAhead?: Seconds;
  /** How often the ticker wakes the scheduler; must be well below `lookAhead`. */
  tickInterval?: Seconds;
  bpm?: Bpm;
  pattern?: Pattern;
  /** Default for `setPattern` when no `at` is given. */
  switchAt?: SwitchAt;
  /** Warnings a performer should see (tempo clamped). */
  warn?: (message: string) => void;
  /** A listener threw. The scheduler has already moved on; this only reports. */
  onListenerError?: (error: unknown, event: SequencerEvent) => void;
}

interface TempoRamp {
  from: Bpm;
  to: Bpm;
  /** First cell of the ramp. */
  cell: number;
  steps: number;
}

/**
 * Transport + look-ahead scheduler for the 2-bar loop.
 *
 * Time is laid out in *cells*: cell c (c = 16ths since position 0) spans
 * [boundary(c), boundary(c) + stepDur) and its grid time is its middle,
 * boundary(c) + stepDur/2, so an offset of -1..+1 (half a 16th either way)
 * keeps every hit inside its own cell. That gives three properties
 * the rest of the box relies on:
 *  - each cell is processed exactly once (`#nextCell` only moves forward), so a
 *    pattern or tempo change between cells can neither drop nor double a note;
 *  - events of cell c never come after events of cell c+1, so outputs receive
 *    them in time order;
 *  - a tempo change re-anchors the timeline at the boundary of the first
 *    unprocessed cell, so nothing already handed out moves.
 */
export class Sequencer {
  readonly #clock: Clock;
  readonly #lookAhead: Seconds;
  readonly #ticker: Ticker;
  readonly #warn: (message: string) => void;
  /** When a tempo below MIN_BPM / above MAX_BPM was last said to be clamped. */
  readonly #clampSaid: { low: Seconds | null; high: Seconds | null } = { low: null, high: null };
  readonly #listeners: Listeners<[SequencerEvent]>;
  #defaultSwitch: SwitchAt;

  #pattern: Pattern;
  #pending: { pattern: Pattern; at: SwitchAt } | null = null;

  #bpm: Bpm;
  #ramp: TempoRamp | null = null;
  #requestedBpm: Bpm | null = null;

  #playing = false;
  /** Timeline anchor: boundary(anchorCell) = anchorTime; cells after it are stepDur long. */
  #anchorCell = 0;
  #anchorTime: Seconds = 0;
  #stepDur: Seconds;
  #nextCell = 0;
  /** First cell of the current run (pulses before it are not sent). */
  #runStartCell = 0;
  /** Where `continue()` resumes. */
  #resumeCell = 0;
  /** Where the last cells handed out began, by cell modulo CELL_HISTORY. */
  readonly #cellStarts = new Float64Array(CELL_HISTORY);
  /** What shift() has moved the 16th #shiftedCell (the next to be handed out then) by. */
  #shiftedCell = -1;
  #shiftedTotal: Seconds = 0;
  /** Grid time of the last loop start handed out (it may still lie ahead, within the look-ahead). */
  #lastLoopStart: Seconds | null = null;
  #lastLoopCell = 0;

  constructor(options: SequencerOptions) {
    this.#clock = options.clock;
    this.#lookAhead = options.lookAhead ?? 0.1;
    const tickInterval = options.tickInterval ?? 0.025;
    if (!(this.#lookAhead > 0)) throw new RangeError(`lookAhead: expected seconds > 0, got ${this.#lookAhead}`);
    if (!(tickInterval > 0 && tickInterval < this.#lookAhead)) {
      throw new RangeError(`tickInterval: expected seconds in (0, lookAhead=${this.#lookAhead}), got ${tickInterval}`);
    }
    this.#warn = options.warn ?? ((m) => process.stderr.write(`groovebox:sequencer ${m}\n`));
    this.#listeners = new Listeners(options.onListenerError ?? defaultListenerError());
    this.#bpm = clampTempo(options.bpm ?? DEFAULT_BPM, this.#warn);
    this.#stepDur = stepSeconds(this.#bpm);
    this.#pattern = options.pattern ?? new Pattern();
    this.#defaultSwitch = options.switchAt ?? 'loop';
    this.#ticker = new Ticker(this.#clock, tickInterval, () => this.update());
  }

  get playing(): boolean {
    return this.#playing;
  }

  /** Tempo of the cells being scheduled now (during a ramp: the current value). */
  get bpm(): Bpm {
    return this.#bpm;
  }

  /**
   * The tempo last asked for: equal to `bpm` once it has taken effect, but
   * already the new value while a change waits for the next 16th (or a ramp
   * glides). A knob turned by several detents within one 16th adds them all up.
   */
  get targetBpm(): Bpm {
    return this.#requestedBpm ?? this.#ramp?.to ?? this.#bpm;
  }

  get pattern(): Pattern {
    return this.#pattern;
  }

  /** The pattern waiting for its switch point, if any. */
  get pendingPattern(): Pattern | null {
    return this.#pending?.pattern ?? null;
  }

  get lookAhead(): Seconds {
    return this.#lookAhead;
  }

  /** 16ths since position 0 of the next cell to be scheduled. */
  get position(): number {
    return this.#nextCell;
  }

  /** Subscribes to every event; returns the unsubscribe function. */
  on(listener: SequencerListener): () => void {
    return this.#listeners.add(listener);
  }

  set switchAt(at: SwitchAt) {
    this.#defaultSwitch = at;
  }

  /**
   * Queues `pattern` to take over at the next loop start ('loop'), the next bar
   * ('bar') or the next unscheduled 16th ('step'). While stopped it takes over at once.
   * A later call before the switch point replaces the queued pattern.
   */
  setPattern(pattern: Pattern, at: SwitchAt = this.#defaultSwitch): void {
    if (!(pattern instanceof Pattern)) throw new TypeError('setPattern: expected a Pattern');
    if (!this.#playing) {
      this.#pattern = pattern;
      this.#pending = null;
      return;
    }
    this.#pending = { pattern, at };
  }

  /**
   * Changes tempo from the next unscheduled 16th on; with `rampSteps` > 0 the
   * tempo glides linearly over that many 16ths instead of jumping. Out of range
   * is clamped with a warning.
   */
  setTempo(bpm: Bpm, rampSteps = 0): Bpm {
    // Said at most once a minute for each limit: a master clock at 240 BPM, whose estimate jitters across the
    // limit, re-tempos every 16th.
    const target = clampTempo(bpm, (m) => {
      const limit = bpm < MIN_BPM ? 'low' : 'high';
      const now = this.#clock.now();
      const last = this.#clampSaid[limit];
      if (last !== null && now - last < CLAMP_REPEAT) return;
      this.#clampSaid[limit] = now;
      this.#warn(m);
    });
    if (!this.#playing || rampSteps <= 0) {
      this.#ramp = null;
      if (this.#playing) this.#requestedBpm = target;
      else this.#setStepDur(target);
      return target;
    }
    this.#requestedBpm = null;
    this.#ramp = { from: this.#bpm, to: target, cell: this.#nextCell, steps: Math.max(1, Math.round(rampSteps)) };
    return target;
  }

  /** Starts from position 0. `at` is the time of the first downbeat (default: as soon as the first cell fits). */
  start(at?: Seconds): void {
    this.#run('start', 0, at);
  }

  /** Resumes from where `stop()` left off (the MIDI "continue"). */
  continue(at?: Seconds): void {
    this.#run('continue', this.#resumeCell, at);
  }

  /**
   * Starts in step with an outside master (MIDI clock follow): 16th `position`
   * has its downbeat at `downbeat`, which may just have passed. Its notes then
   * leave at once, and outputs drop those more than LATE_NOTE_LIMIT late (the
   * early hits of that 16th); a downbeat later than that joins at the next
   * 16th instead. Emits 'start' from position 0, 'continue' from any other.
   */
  join(position: number, downbeat: Seconds): void {
    if (this.#playing) return;
    const now = this.#clock.now();
    let cell = position;
    let at = downbeat;
    while (at < now - LATE_NOTE_LIMIT) {
      cell++;
      at += this.#stepDur;
    }
    this.#begin(cell === 0 ? 'start' : 'continue', cell, at);
  }

  /**
   * Moves every 16th not yet handed out by `delta` seconds (positive: later),
   * to stay in phase with an outside master: the 16th before them becomes
   * that much longer or shorter. Less than one clock pulse in all before the
   * next 16th is handed out, so pulses keep their order; a master follower
   * moves a millisecond or two at a time.
   */
  shift(delta: Seconds): void {
    if (!this.#playing) return;
    const pulse = this.#stepDur / PULSES_PER_STEP;
    // Several shifts before the next 16th is handed out add up on the same gap.
    const total = (this.#shiftedCell === this.#nextCell ? this.#shiftedTotal : 0) + delta;
    if (!(Math.abs(total) < pulse))
      throw new RangeError(
        `shift: expected less than one pulse (${pulse} s) either way before the next 16th, got ${total}`,
      );
    this.#shiftedCell = this.#nextCell;
    this.#shiftedTotal = total;
    this.#anchorTime = this.#boundary(this.#nextCell) + delta;
    this.#anchorCell = this.#nextCell;
  }

  /**
   * Stops at `at` (default now). Events already handed out with a later time are
   * void: the stop event tells outputs to drop them and release sounding notes.
   */
  stop(at?: Seconds): void {
    if (!this.#playing) return;
    const time = Math.max(at ?? this.#clock.now(), this.#clock.now());
    this.#playing = false;
    this.#ticker.stop();
    // Resume at the first cell that had not begun by the stop. A tempo change re-anchors at the next cell
    // handed out, which may lie ahead of the stop: look among the cells as they were laid out first.
    let cellAtStop = this.#anchorCell + Math.floor((time - this.#anchorTime) / this.#stepDur);
    for (let cell = this.#nextCell - 1; cell >= Math.max(this.#runStartCell, this.#nextCell - CELL_HISTORY); cell--) {
      if (this.#cellStarts[cell % CELL_HISTORY] <= time) {
        cellAtStop = cell;
        break;
      }
    }
    this.#resumeCell = Math.max(this.#runStartCell, Math.min(this.#nextCell, cellAtStop + 1));
    if (this.#requestedBpm !== null) this.#setStepDur(this.#requestedBpm);
    this.#requestedBpm = null;
    if (this.#ramp) this.#setStepDur(this.#ramp.to);
    this.#ramp = null;
    if (this.#pending) {
      this.#pattern = this.#pending.pattern;
      this.#pending = null;
    }
    this.#emit({ type: 'stop', time, position: this.#resumeCell });
  }

  /** Grid time of a 16th position in the current run (before microtiming). */
  gridTime(position: number): Seconds {
    return this.#boundary(position) + this.#stepDur / 2;
  }

  /**
   * Grid time of the first loop start (step 0) at or after `time`, or null
   * while stopped. One already scheduled but not yet heard counts: asked just
   * before the loop comes round, this is that downbeat, not the next one;
   * unless a tempo change still waits for the next 16th, and the 16ths of
   * that loop already handed out at the old tempo would put a grid laid at
   * the new one (a take's) off by more than a millisecond: then the loop after.
   */
  nextLoopStart(time: Seconds): Seconds | null {
    if (!this.#playing) return null;
    // A tempo change waiting for the next 16th applies from there on (a ramp is taken at its present tempo).
    const stepDur = this.#requestedBpm !== null ? stepSeconds(this.#requestedBpm) : this.#stepDur;
    if (this.#lastLoopStart !== null && this.#lastLoopStart >= time) {
      const handedOut = this.#nextCell - this.#lastLoopCell;
      if (handedOut * Math.abs(stepDur - this.#stepDur) <= 0.001) return this.#lastLoopStart;
    }
    const cell = Math.ceil(this.#nextCell / STEPS) * STEPS;
    return this.#boundary(this.#nextCell) + (cell - this.#nextCell) * stepDur + stepDur / 2;
  }

  /**
   * Schedules every cell that begins before now + lookAhead. The ticker calls
   * this; tests and the box may call it too (it is idempotent for a given time).
   */
  update(): void {
    if (!this.#playing) return;
    const horizon = this.#clock.now() + this.#lookAhead;
    while (this.#playing && this.#boundary(this.#nextCell) < horizon) this.#processCell();
  }

  #run(type: 'start' | 'continue', cell: number, at?: Seconds): void {
    if (this.#playing) return;
    // The first cell opens half a 16th before its downbeat (early hits live there), so that must not be in the past.
    const earliest = this.#clock.now() + this.#stepDur / 2;
    this.#begin(type, cell, Math.max(at ?? earliest + 0.005, earliest));
  }

  /** Plays from `cell`, whose downbeat is at `downbeat`. */
  #begin(type: 'start' | 'continue', cell: number, downbeat: Seconds): void {
    this.#anchorCell = cell;
    this.#anchorTime = downbeat - this.#stepDur / 2;
    this.#nextCell = cell;
    this.#runStartCell = cell;
    this.#shiftedCell = -1;
    this.#lastLoopStart = null;
    this.#playing = true;
    const event: TransportEvent = { type, time: this.#anchorTime, position: cell };
    this.#emit(event);
    this.#ticker.start();
    this.update();
  }

  #boundary(cell: number): Seconds {
    return this.#anchorTime + (cell - this.#anchorCell) * this.#stepDur;
  }

  #setStepDur(bpm: Bpm): void {
    this.#bpm = bpm;
    this.#stepDur = stepSeconds(bpm);
  }

  /** Tempo changes take effect at a cell boundary: re-anchor there, then switch the cell length. */
  #applyTempoAt(cell: number): void {
    let bpm: Bpm | null = null;
    if (this.#requestedBpm !== null) {
      bpm = this.#requestedBpm;
      this.#requestedBpm = null;
    } else if (this.#ramp) {
      const r = this.#ramp;
      const k = Math.min(1, (cell - r.cell + 1) / r.steps);
      bpm = r.from + (r.to - r.from) * k;
      if (k >= 1) this.#ramp = null;
    }
    if (bpm === null || bpm === this.#bpm) return;
    this.#anchorTime = this.#boundary(cell);
    this.#anchorCell = cell;
    this.#setStepDur(bpm);
  }

  #processCell(): void {
    const cell = this.#nextCell;
    this.#applyTempoAt(cell);
    this.#cellStarts[cell % CELL_HISTORY] = this.#boundary(cell);
    const step = mod(cell, STEPS);
    if (this.#pending) {
      const { at } = this.#pending;
      if (at === 'step' || (at === 'bar' && step % STEPS_PER_BAR === 0) || (at === 'loop' && step === 0)) {
        this.#pattern = this.#pending.pattern;
        this.#pending = null;
      }
    }
    const half = this.#stepDur / 2;
    const grid = this.#boundary(cell) + half;
    if (step === 0) {
      this.#lastLoopStart = grid;
      this.#lastLoopCell = cell;
    }
    const events: SequencerEvent[] = [];
    // Pulses -3..+2 around the grid time of this cell: all inside the cell, so the
    // global time order holds; those before the run's first downbeat are not sent.
    const pulseDur = this.#stepDur / PULSES_PER_STEP;
    for (let j = -PULSES_PER_STEP / 2; j < PULSES_PER_STEP / 2; j++) {
      const pulse = cell * PULSES_PER_STEP + j;
      if (pulse < this.#runStartCell * PULSES_PER_STEP) continue;
      events.push({ type: 'pulse', time: grid + j * pulseDur, pulse });
    }
    const pattern = this.#pattern;
    for (let drum = 0; drum < DRUM_COUNT; drum++) {
      if (!pattern.hit(step, drum)) continue;
      const offset = pattern.offset(step, drum);
      events.push({
        type: 'note',
        time: grid + offset * half,
        drum,
        velocity: pattern.velocity(step, drum),
        step,
        offset,
        position: cell,
      });
    }
    // Stable sort: at equal times a clock pulse goes before a note, as drum machines expect.
    events.sort((a, b) => a.time - b.time);
    // Advance before calling out: a throwing listener must not make this cell run again.
    this.#nextCell = cell + 1;
    for (const event of events) this.#emit(event);
  }

  #emit(event: SequencerEvent): void {
    this.#listeners.emit(event);
  }
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** Logs the first failure and then counts, so a broken output cannot flood stderr. */
function defaultListenerError(): (error: unknown, event: SequencerEvent) => void {
  return throttledReport((count, error: unknown, event: SequencerEvent) => {
    process.stderr.write(
      `groovebox:sequencer a listener threw on a ${event.type} event (${count} so far): ${(error as Error)?.message ?? error}\n`,
    );
  });
}
