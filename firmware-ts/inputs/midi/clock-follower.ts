import type { Sequencer } from '../../sequencer/sequencer.js';
import { PULSES_PER_STEP } from '../../sequencer/sequencer.js';
import { STEPS_PER_BEAT, stepSeconds } from '../../sequencer/tempo.js';
import type { Clock, Seconds } from '../../time/clock.js';
import { ArrivalClock } from './arrival-clock.js';
import type { MidiInput } from './midi-input.js';

/** Four pulses' time at 40 BPM, the slowest tempo the box plays: a longer silence is a pause of the master's clock. */
const PAUSE: Seconds = 0.25;

/**
 * Phase lock: each 16th, the box's 16ths still to be handed out move by this
 * share of the mean gap between its pulses and the master's over that 16th,
 * and by at most MAX_SHIFT: a millisecond or two is below what a listener
 * hears as a change of groove. A gap of more than RESYNC (a quarter of a 16th:
 * the master jumped its tempo, or gave none before Start) is not crept over
 * for bars: the box stops and joins the master's next 16th afresh.
 */
const PHASE_GAIN = 0.5;
const MAX_SHIFT: Seconds = 0.004;
const RESYNC = 0.25;

/** Our own pulses remembered, by number: more than the sequencer hands out ahead at any tempo. */
const OWN_PULSES = 256;

export interface ClockFollowerOptions {
  /** The master's input; more can be listened to later (the same master, opened again after a replug). */
  input?: MidiInput;
  sequencer: Sequencer;
  /** The sequencer's clock. */
  clock: Clock;
  /** Pulses averaged for the tempo estimate (24 = one beat): more is steadier, fewer follows faster. */
  window?: number;
  /** Told when the box stops and comes in again with the master (a line for the log). */
  log?: (message: string) => void;
}

/**
 * Slave mode: the box plays in time with a master's MIDI clock. Tempo comes
 * from the pulses' spacing, the place in the song from counting them (from
 * Start, or from a Song Position Pointer), so a Continue resumes at the 16th
 * the master resumes at, whatever the tempo did meanwhile. The sequencer
 * schedules ahead, so its 16ths are laid on predicted pulse times and then
 * kept in phase with the pulses as they come (a phase-locked loop: tempo
 * errors do not add up). Times come from the input's own arrival stamps where
 * it has them: a pulse this thread sees 30 ms late (a garbage collection)
 * would otherwise move a one-beat estimate by 6 % and the phase by 30 ms.
 */
export class MidiClockFollower {
  readonly #sequencer: Sequencer;
  readonly #clock: Clock;
  readonly #window: number;
  readonly #log: (message: string) => void;
  readonly #unsubscribe: () => void;
  readonly #inputs = new Set<() => void>();
  readonly #pulseTimes: Seconds[] = [];
  #armed: 'start' | 'continue' | null = null;
  #pulses = 0;
  /** The master's song position in pulses: the number its next pulse has while it runs; null once pulses were missed. */
  #position: number | null = 0;
  /** From the master's first pulse after Start/Continue to its Stop. */
  #running = false;
  /** When the master's last pulse came (our clock). */
  #lastPulseAt: Seconds | null = null;
  /** The sequencer plays a run this follower joined (not one the performer started): its pulses are numbered as the master's. */
  #locked = false;
  #joining = false;
  /** The sequencer has had the master's tempo since the last join (a join before any estimate plays the box's own). */
  #tempoGiven = false;
  /** The grid time of each of the box's own pulses, by pulse number modulo OWN_PULSES. */
  readonly #ownTimes = new Float64Array(OWN_PULSES);
  readonly #ownNumbers = new Float64Array(OWN_PULSES).fill(-1);
  /** Gaps (ours - master's) measured over the current 16th. */
  #gapSum = 0;
  #gapCount = 0;
  /** Shifts not yet wholly in the measured gaps: the first pulse each moves, and by how much. */
  readonly #pendingShifts: { fromPulse: number; delta: Seconds }[] = [];
  /** The 16th the last shift moved (the next to be handed out then): one shift per 16th. */
  #lastShiftCell = -1;
  /** The input's arrival stamps on our clock. */
  readonly #arrival = new ArrivalClock();
  /** The last fault said (see listen). */
  #lastFault: string | null = null;

  constructor(options: ClockFollowerOptions) {
    this.#sequencer = options.sequencer;
    this.#clock = options.clock;
    const window = options.window ?? 24;
    if (!(Number.isInteger(window) && window >= 2))
      throw new RangeError(`clock follower window: expected a whole number of pulses >= 2, got ${window}`);
    this.#window = window;
    this.#log = options.log ?? (() => {});
    this.#unsubscribe = this.#sequencer.on((event) => {
      if (event.type === 'start' || event.type === 'continue' || event.type === 'stop') {
        this.#locked = event.type !== 'stop' && this.#joining;
        // Pulses handed out before a stop (void) must not be taken for the new run's.
        this.#ownNumbers.fill(-1);
      }
      if (event.type !== 'pulse') return;
      const slot = event.pulse % OWN_PULSES;
      this.#ownNumbers[slot] = event.pulse;
      this.#ownTimes[slot] = event.time;
    });
    if (options.input) this.listen(options.input);
  }

  /**
   * Takes the master's messages from `input` until the returned function is
   * called. A stopped master's song position carries over from an input
   * before it (unplugged and plugged in again, it still continues where it
   * stopped). A playing one's pulses were missed meanwhile: the box plays
   * on, following the tempo only, until the master's next Start (or a Song
   * Position Pointer, then Continue) says where it is.
   */
  listen(input: MidiInput): () => void {
    this.#arrival.reset();
    this.#pulseTimes.length = 0;
    this.#lastPulseAt = null;
    if (this.#running) {
      this.#position = null;
      if (this.#locked)
        this.#log(
          "the master's pulses were missed while it played: following its tempo, not its place, until its next Start",
        );
    }
    this.#running = false;
    this.#locked = false;
    const unsubscribe = input.onMessage((bytes, time, deviceTime) => {
      // Called from the MIDI driver's callback: a fault of ours must cost one message, not the box.
      try {
        this.#onMessage(bytes, time, deviceTime);
      } catch (error) {
        // Said once per kind of fault: one that repeats with every pulse must not flood the log.
        const fault = `a MIDI clock message was not followed: ${(error as Error)?.message ?? error}`;
        if (fault !== this.#lastFault) this.#log(fault);
        this.#lastFault = fault;
      }
    });
    const stop = () => {
      unsubscribe();
      this.#inputs.delete(stop);
    };
    this.#inputs.add(stop);
    return stop;
  }

  /** The master's tempo estimate, or null before two pulses. */
  get bpm(): number | null {
    const pulse = this.#pulseSeconds();
    return pulse === null ? null : 60 / (pulse * PULSES_PER_STEP * STEPS_PER_BEAT);
  }

  /**
   * The performer pressed PLAY while the master plays: comes in at the
   * master's first 16th at least half a 16th away (room for early hits), in
   * phase from the first note. False if the master is not playing (or its
   * pulses stopped without a Stop: a cable pulled).
   */
  joinMaster(): boolean {
    if (!this.#running || this.#sequencer.playing) return false;
    return this.#joinNextSixteenth() !== null;
  }

  close(): void {
    for (const stop of [...this.#inputs]) stop();
    this.#unsubscribe();
  }

  #pulseSeconds(): Seconds | null {
    const t = this.#pulseTimes;
    if (t.length < 2) return null;
    const pulse = (t[t.length - 1] - t[0]) / (t.length - 1);
    // Two pulses with one stamp (one USB packet) right after a reset would make an infinite tempo.
    return pulse > 0 && Number.isFinite(pulse) ? pulse : null;
  }

  #onMessage(bytes: readonly number[], time: Seconds, deviceTime: Seconds | undefined): void {
    switch (bytes[0]) {
      case 0xf8:
        return this.#pulse(this.#toOurClock(time, deviceTime), deviceTime ?? time);
      case 0xfa:
        this.#sequencer.stop();
        this.#running = false;
        this.#position = 0;
        this.#armed = 'start';
        return;
      case 0xfb:
        this.#armed = 'continue';
        return;
      case 0xfc:
        this.#armed = null;
        this.#running = false;
        this.#sequencer.stop(this.#toOurClock(time, deviceTime));
        return;
      case 0xf2: {
        // Song Position Pointer: 16ths from the start, 14 bits, least significant 7 first.
        if (bytes.length < 3) return;
        this.#position = ((bytes[1] & 0x7f) | ((bytes[2] & 0x7f) << 7)) * PULSES_PER_STEP;
        // Sent while playing (a DAW's loop jumping back): the box follows at the master's next 16th.
        if (this.#running && this.#locked) this.#resync('the master moved its song position while playing');
        return;
      }
    }
  }

  /** `at`: the pulse's time on our clock; `stamp`: on the clock its spacing is best measured on. */
  #pulse(at: Seconds, stamp: Seconds): void {
    // A master that paused its clock: the estimate starts again rather than averaging over the pause.
    const last = this.#pulseTimes[this.#pulseTimes.length - 1];
    if (last !== undefined && stamp - last > PAUSE) this.#pulseTimes.length = 0;
    this.#pulseTimes.push(stamp);
    if (this.#pulseTimes.length > this.#window + 1) this.#pulseTimes.shift();
    this.#pulses++;
    const bpm = this.bpm;
    // Re-tempo every 6th pulse, not every pulse (the estimate moves slowly anyway); the first estimate after a join at once.
    if (bpm !== null && (this.#pulses % PULSES_PER_STEP === 0 || !this.#tempoGiven)) {
      this.#sequencer.setTempo(bpm);
      this.#tempoGiven = true;
    }
    const number = this.#position;
    if (this.#armed) {
      const armed = this.#armed;
      this.#armed = null;
      this.#begin(armed, at);
    } else if (this.#running && number !== null) {
      this.#keepInPhase(number, at);
    }
    if (this.#running && this.#position !== null) this.#position++;
    this.#lastPulseAt = at;
  }

  /** The master's first pulse after Start or Continue came at `at`: play from the 16th at or after it. */
  #begin(armed: 'start' | 'continue', at: Seconds): void {
    // A run the performer started on the box gives way to the master's.
    this.#sequencer.stop();
    const position = this.#position;
    if (position === null) {
      // Continue after pulses were missed: where the master is, nobody knows. Play on from the box's own place.
      if (armed === 'continue') this.#sequencer.continue();
      return;
    }
    this.#running = true;
    const pulse = this.#pulseSeconds() ?? stepSeconds(this.#sequencer.bpm) / PULSES_PER_STEP;
    const cell = Math.ceil(position / PULSES_PER_STEP);
    this.#joinAt(cell, at + (cell * PULSES_PER_STEP - position) * pulse);
  }

  /** Joins the master's first 16th at least half a 16th after its next pulse is due: that 16th, or null without a recent pulse. */
  #joinNextSixteenth(): number | null {
    const pulse = this.#pulseSeconds();
    const next = this.#position; // the number of the master's next pulse
    const last = this.#lastPulseAt;
    if (pulse === null || next === null || last === null || this.#clock.now() - last > PAUSE) return null;
    const cell = Math.ceil((next + PULSES_PER_STEP / 2) / PULSES_PER_STEP);
    this.#joinAt(cell, last + (cell * PULSES_PER_STEP - (next - 1)) * pulse);
    return cell;
  }

  #joinAt(cell: number, downbeat: Seconds): void {
    this.#gapSum = 0;
    this.#gapCount = 0;
    this.#pendingShifts.length = 0;
    this.#lastShiftCell = -1;
    const bpm = this.bpm;
    this.#tempoGiven = bpm !== null;
    if (bpm !== null) this.#sequencer.setTempo(bpm);
    this.#joining = true;
    try {
      this.#sequencer.join(cell, downbeat);
    } finally {
      this.#joining = false;
    }
  }

  /** Out of phase by more than creeping can fix: stop and come in again at the master's next 16th. */
  #resync(why: string): void {
    // Most often the master jumped its tempo: estimate from its last 16th alone, or the estimate lags a beat behind.
    this.#pulseTimes.splice(0, Math.max(0, this.#pulseTimes.length - (PULSES_PER_STEP + 1)));
    this.#sequencer.stop();
    const cell = this.#joinNextSixteenth();
    if (cell !== null) this.#log(`${why}: in again at its 16th ${cell}`);
    else this.#locked = false;
  }

  /** Master pulse `number` came at `at`: compare with ours, and once a 16th move our coming 16ths toward it. */
  #keepInPhase(number: number, at: Seconds): void {
    if (!this.#locked) return;
    const slot = number % OWN_PULSES;
    if (this.#ownNumbers[slot] === number) {
      this.#gapSum += this.#ownTimes[slot] - at;
      this.#gapCount++;
    }
    if (number % PULSES_PER_STEP !== PULSES_PER_STEP - 1 || this.#gapCount === 0) return;
    // The gaps were measured over pulses number-5..number. A shift shows in those from its first pulse on;
    // what it moves beyond them is still to come, so it counts as done already.
    const first = number - (PULSES_PER_STEP - 1);
    while (this.#pendingShifts.length > 0 && this.#pendingShifts[0].fromPulse <= first) this.#pendingShifts.shift();
    let pending = 0;
    for (const { fromPulse, delta } of this.#pendingShifts)
      pending += fromPulse > number ? delta : (delta * (fromPulse - first)) / PULSES_PER_STEP;
    const gap = this.#gapSum / this.#gapCount + pending;
    this.#gapSum = 0;
    this.#gapCount = 0;
    if (!Number.isFinite(gap)) return;
    const sixteenth = stepSeconds(this.#sequencer.bpm);
    if (Math.abs(gap) > RESYNC * sixteenth)
      return this.#resync(`${Math.round(Math.abs(gap) * 1000)} ms out of phase with the master`);
    // One shift per 16th handed out: after a stall several 16ths are measured at once, and their shifts would pile up on one.
    const cell = this.#sequencer.position;
    if (cell === this.#lastShiftCell) return;
    const limit = Math.min(MAX_SHIFT, sixteenth / PULSES_PER_STEP / 2);
    const delta = Math.max(-limit, Math.min(limit, -PHASE_GAIN * gap));
    if (delta === 0) return;
    // The first pulse the shift moves: three before the downbeat of the next 16th to be handed out.
    this.#pendingShifts.push({ fromPulse: cell * PULSES_PER_STEP - PULSES_PER_STEP / 2, delta });
    this.#lastShiftCell = cell;
    this.#sequencer.shift(delta);
  }

  /** A message's time on this thread's clock: its arrival, where the input stamps it (see ArrivalClock). */
  #toOurClock(time: Seconds, deviceTime: Seconds | undefined): Seconds {
    return this.#arrival.toOurClock(time, deviceTime);
  }
}
