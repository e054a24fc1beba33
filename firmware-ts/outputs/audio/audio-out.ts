import type { SequencerEvent } from '../../sequencer/events.js';
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
 * without a stop. Each reading is low by up to one render burst (currentTime
 * moves in blocks), so the highest reading of the last few seconds is the
 * estimate, and the offset slews toward it at most SLEW (inaudible: 0.05% tempo)
 * rather than jumping. A gap beyond JUMP (the device stalled or was suspended)
 * re-anchors at once.
 */
export class ClockFollower {
  static readonly INTERVAL: Seconds = 0.25;
  static readonly WINDOW = 16; // readings: 4 s
  static readonly SLEW = 500e-6; // seconds of correction per second
  static readonly JUMP: Seconds = 0.05;
  /** contextTime = sequencerTime + offset. */
  offset = 0;
  #readings: number[] = [];
  #last = -Infinity;

  /** Starts over from one reading (start/continue). */
  anchor(reading: number, at: Seconds): void {
    this.offset = reading;
    this.#readings = [reading];
    this.#last = at;
  }

  /** A reading (contextTime - sequencerTime, read back to back) at sequencer time `at`. */
  observe(reading: number, at: Seconds): void {
    const dt = at - this.#last;
    if (dt < ClockFollower.INTERVAL) return;
    this.#last = at;
    this.#readings.push(reading);
    if (this.#readings.length > ClockFollower.WINDOW) this.#readings.shift();
    const target = Math.max(...this.#readings);
    const error = target - this.offset;
    if (Math.abs(error) > ClockFollower.JUMP) {
      this.anchor(reading, at);
      return;
    }
    const step = ClockFollower.SLEW * Math.min(dt, 1);
    this.offset += Math.max(-step, Math.min(step, error));
  }
}

/** A hit later than this is dropped rather than played at once (about a 32nd at 180 BPM, below what a listener takes for the beat). */
export const LATE_LIMIT: Seconds = 0.02;

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
  #late = 0;
  #dropped = 0;
  #unready = 0;

  constructor(options: AudioOutOptions) {
    this.#ctx = options.context;
    this.#clock = options.clock;
    this.#log = options.log ?? (() => {});
    const gain = options.gain ?? 0.8;
    if (!(gain >= 0 && gain <= 1)) throw new RangeError(`gain: expected 0..1, got ${gain}`);
    const rate = this.#ctx.sampleRate;
    if (options.kit && options.kit.sampleRate !== rate) throw new RangeError(`kit: rendered at ${options.kit.sampleRate} Hz, but the context runs at ${rate} Hz`);
    this.#kit = options.kit ?? null;
    this.ready = this.#kit
      ? Promise.resolve()
      : SampledKit.render(rate).then(
        (kit) => { this.#kit = kit; },
        (error: Error) => this.#log(`the drum kit could not be rendered (${error.message}); audio stays silent`),
      );
    this.#master = this.#ctx.createGain();
    this.#master.gain.value = gain;
    this.#master.connect(this.#ctx.destination);
    this.#lanes = new GainLanes(this.#ctx, this.#master);
    this.#anchor();
  }

  get context(): BaseAudioContext {
    return this.#ctx;
  }

  /** Notes that arrived after their time, by less than LATE_LIMIT (played at once instead). */
  get late(): number {
    return this.#late;
  }

  /** Notes dropped: later than LATE_LIMIT (a stall), or no free gain lane. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Notes dropped because the kit was not rendered yet (or could not be). */
  get unready(): number {
    return this.#unready;
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
        this.#anchor();
        return;
      case 'note': {
        this.#follow();
        const when = this.toContextTime(event.time);
        const now = this.#ctx.currentTime;
        if (!this.#kit) {
          if (this.#unready++ === 0) this.#log('a note came before the drum kit was ready; dropped');
          return;
        }
        if (when < now - LATE_LIMIT) {
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

  #anchor(): void {
    // Both clocks read back to back; the context clock moves in 128-sample blocks, so this is good to about one block.
    if (this.#clock) {
      const now = this.#clock.now();
      this.#follower.anchor(this.#ctx.currentTime - now, now);
    }
  }

  #follow(): void {
    if (!this.#clock) return;
    const now = this.#clock.now();
    this.#follower.observe(this.#ctx.currentTime - now, now);
  }

  /** A voice that has begun cannot be cancelled any more, so it is let go (holding it would keep its native node). */
  #forgetStarted(now: number): void {
    if (this.#voices.length < 64) return;
    this.#voices = this.#voices.filter((v) => v.when > now);
  }
}
