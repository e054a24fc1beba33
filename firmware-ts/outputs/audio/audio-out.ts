import { LATE_NOTE_LIMIT, type SequencerEvent } from '../../sequencer/events.js';
import type { Sequencer } from '../../sequencer/sequencer.js';
import type { Clock, Seconds } from '../../time/clock.js';
import type { Voice } from './drum-kit.js';
import { GainLanes } from './gain-lanes.js';
import { SampledKit } from './sampled-kit.js';

export interface AudioOutOptions {
  context: BaseAudioContext;
  /**
   * The sequencer's clock. Given: sequencer times are converted to context time
   * through an offset anchored at each start/continue and then kept in step
   * with the sound card's clock as it drifts (see ClockFollower). Omitted: the
   * two clocks are the same (offline rendering).
   */
  clock?: Clock;
  /** Master gain 0..1. */
  gain?: number;
  /** The kit, rendered at the context's sample rate. Omitted: rendered now, and playing once `ready` resolves. */
  kit?: SampledKit;
  log?: (message: string) => void;
}

/**
 * Follows the offset between the sound card's clock (context.currentTime) and
 * the sequencer's. A sound card's crystal runs tens of ppm off the system clock:
 * 50 ppm is 180 ms over an hour, so audio and MIDI would drift apart during a set
 * without a stop. A reading (currentTime read first, then the sequencer clock) is
 * low by up to one render burst, since currentTime moves in blocks, and a delay
 * between the two reads only makes it lower; so the highest reading of the last
 * few seconds is the estimate, and the offset slews toward it by at most SLEW
 * (0.05% tempo, inaudible) rather than jumping. An error beyond JUMP either way
 * (the device lost or skipped time) re-anchors at once.
 */
export class ClockFollower {
  static readonly INTERVAL: Seconds = 0.25;
  static readonly WINDOW_READINGS = 16; // 4 s at INTERVAL
  static readonly SLEW = 500e-6; // seconds of correction per second
  static readonly JUMP: Seconds = 0.05;
  #offset = 0;
  #readings: number[] = [];
  #lastAt = -Infinity;
  /** Readings taken since the last anchor: a window's worth makes the offset settled. */
  #observed = 0;

  /** contextTime = sequencerTime + offset. */
  get offset(): number {
    return this.#offset;
  }

  /** Whether a reading taken at sequencer time `at` would be used (they are taken every INTERVAL). */
  due(at: Seconds): boolean {
    return at - this.#lastAt >= ClockFollower.INTERVAL;
  }

  /** Starts over from one reading (start/continue, or a jump). */
  anchor(reading: number, at: Seconds): void {
    this.#offset = reading;
    this.#readings = [reading];
    this.#lastAt = at;
    this.#observed = 0;
  }

  /**
   * Start/continue. Until a window of readings has settled the offset, the
   * reading is all there is. After that the settled offset stays: one reading is low by up to a render burst, and
   * anchoring on it would play up to a burst early after every PLAY, for the
   * half minute the slew needs to win it back. A reading above the offset (the
   * card gained time while stopped: every reading is a lower bound) or far
   * below it (it lost time) anchors at once.
   */
  resume(reading: number, at: Seconds): void {
    const settled = this.#observed >= ClockFollower.WINDOW_READINGS;
    if (!settled || reading > this.#offset || reading < this.#offset - ClockFollower.JUMP) {
      this.anchor(reading, at);
      return;
    }
    this.#readings = [reading];
    this.#lastAt = at;
  }

  /** A reading (contextTime - sequencerTime) at sequencer time `at`; ignored unless due. */
  observe(reading: number, at: Seconds): void {
    if (!this.due(at)) return;
    const dt = at - this.#lastAt;
    this.#lastAt = at;
    // Downward against the newest reading: older, higher ones would hide a clock that lost time for a whole window.
    if (reading < this.#offset - ClockFollower.JUMP) {
      this.anchor(reading, at);
      return;
    }
    this.#readings.push(reading);
    this.#observed++;
    if (this.#readings.length > ClockFollower.WINDOW_READINGS) this.#readings.shift();
    const error = Math.max(...this.#readings) - this.#offset;
    if (error > ClockFollower.JUMP) {
      this.anchor(reading, at);
      return;
    }
    const step = ClockFollower.SLEW * Math.min(dt, 1);
    this.#offset += Math.max(-step, Math.min(step, error));
  }
}

/**
 * Sequencer events -> the sampled kit, scheduled ahead on the AudioContext
 * clock, so onsets are sample-accurate whatever the main thread is doing.
 */
export class AudioOut {
  /**
   * Resolves when the kit is in place. It never rejects: a kit that cannot
   * be rendered is logged and leaves this output silent, and MIDI plays on.
   */
  readonly ready: Promise<void>;
  readonly #ctx: BaseAudioContext;
  readonly #clock?: Clock;
  readonly #master: GainNode;
  readonly #lanes: GainLanes;
  readonly #log: (message: string) => void;
  #kit: SampledKit | null = null;
  /** Voices not yet begun, which a stop must cancel. */
  #voices: Voice[] = [];
  readonly #follower = new ClockFollower();
  /** currentTime at the last reading: a context that does not run (suspended, no device) is not followed. */
  #lastContextTime = NaN;
  #late = 0;
  #dropped = 0;
  #unready = 0;
  #gain: number;
  #muted = false;

  constructor(options: AudioOutOptions) {
    this.#ctx = options.context;
    this.#clock = options.clock;
    this.#log = options.log ?? (() => {});
    const gain = options.gain ?? 0.8;
    if (!(gain >= 0 && gain <= 1)) throw new RangeError(`gain: expected 0..1, got ${gain}`);
    const rate = this.#ctx.sampleRate;
    if (options.kit && options.kit.sampleRate !== rate)
      throw new RangeError(`kit: rendered at ${options.kit.sampleRate} Hz, but the context runs at ${rate} Hz`);
    this.#kit = options.kit ?? null;
    this.ready = this.#kit
      ? Promise.resolve()
      : SampledKit.render(rate).then(
          (kit) => {
            this.#kit = kit;
          },
          (error: Error) => this.#log(`the drum kit could not be rendered (${error.message}); audio stays silent`),
        );
    this.#master = this.#ctx.createGain();
    this.#gain = gain;
    this.#master.gain.value = gain;
    this.#master.connect(this.#ctx.destination);
    this.#lanes = new GainLanes(this.#ctx, this.#master);
    this.#resume(); // a first reading; PLAY takes a fresh one until the offset has settled
  }

  get context(): BaseAudioContext {
    return this.#ctx;
  }

  /** Silences the sound card without stopping the schedule (the panel's mute): unmuted, the loop is heard in time at once. */
  set muted(muted: boolean) {
    this.#muted = muted;
    this.#master.gain.setValueAtTime(muted ? 0 : this.#gain, this.#ctx.currentTime);
  }

  get muted(): boolean {
    return this.#muted;
  }

  /** Notes that arrived after their time, by less than LATE_NOTE_LIMIT (played at once instead). */
  get late(): number {
    return this.#late;
  }

  /** Notes dropped: later than LATE_NOTE_LIMIT (a stall), or no free gain lane. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Notes dropped because the kit was not rendered yet (or could not be). */
  get unready(): number {
    return this.#unready;
  }

  /** contextTime - sequencerTime as followed now: its change over a long run is the sound card's drift. */
  get clockOffset(): number {
    return this.#follower.offset;
  }

  /** The explicit clock conversion: a sequencer time in AudioContext seconds. */
  toContextTime(t: Seconds): number {
    return t + this.#follower.offset;
  }

  attach(sequencer: Sequencer): () => void {
    return sequencer.on((event) => this.handle(event));
  }

  handle(event: SequencerEvent): void {
    switch (event.type) {
      case 'start':
      case 'continue':
        this.#resume();
        return;
      case 'note': {
        this.#follow();
        const when = this.toContextTime(event.time);
        const now = this.#ctx.currentTime;
        if (!this.#kit) {
          if (this.#unready++ === 0) this.#log('a note came before the drum kit was ready; dropped');
          return;
        }
        if (when < now - LATE_NOTE_LIMIT) {
          // After a stall the sequencer catches up with every missed hit: played now, all at once, they
          // would be one loud burst. A hit this late is dropped (and counted).
          this.#dropped++;
          return;
        }
        if (when < now) this.#late++;
        this.#forgetStarted(now);
        const voice = this.#play(this.#kit, event.drum, Math.max(when, now), event.velocity);
        if (voice) this.#voices.push(voice);
        else this.#dropped++;
        return;
      }
      case 'stop': {
        // Voices not yet begun are cancelled; those already sounding ring out (drums decay by themselves).
        const at = this.toContextTime(event.time);
        for (const voice of this.#voices) {
          if (voice.when > at) for (const s of voice.sources) s.stop(0);
        }
        this.#voices = this.#voices.filter((v) => v.when <= at);
        return;
      }
      case 'pulse':
        this.#follow();
        return;
    }
  }

  /** One buffer source per hit, through a borrowed gain lane; its first sample is the first at or after `when`. */
  #play(kit: SampledKit, drum: number, when: number, velocity: number): Voice | null {
    const { buffer, gain } = kit.hit(drum, velocity);
    // Until one sample past the end: the start may round up to the next sample.
    const lane = this.#lanes.take(when, when + (buffer.length + 1) / buffer.sampleRate, gain);
    if (!lane) return null; // every lane busy: a burst no pattern makes
    const source = this.#ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(lane);
    source.start(when);
    return { when, sources: [source] };
  }

  #resume(): void {
    // currentTime first: a delay between the two reads can then only make the reading lower, never higher.
    if (!this.#clock) return;
    const contextTime = this.#ctx.currentTime;
    const now = this.#clock.now();
    this.#follower.resume(contextTime - now, now);
    this.#lastContextTime = contextTime;
  }

  #follow(): void {
    if (!this.#clock || !this.#follower.due(this.#clock.now())) return;
    const contextTime = this.#ctx.currentTime;
    const now = this.#clock.now();
    const frozen = contextTime === this.#lastContextTime;
    this.#lastContextTime = contextTime;
    if (frozen) return;
    this.#follower.observe(contextTime - now, now);
  }

  /** A voice that has begun cannot be cancelled any more, so it is let go (holding it would keep its native node). */
  #forgetStarted(now: number): void {
    if (this.#voices.length < 64) return;
    this.#voices = this.#voices.filter((v) => v.when > now);
  }
}
