import { playDrum } from '../../outputs/audio/drum-kit.js';
import { STEPS } from '../../pattern/pattern.js';

/** One note of the loop as the snapshot carries it: [step, drum, velocity 0..1, offset -1..1 (half a step)]. */
export type NoteTuple = [number, number, number, number];

/** The loop clock on the daemon's clock, as the snapshot carries it. */
export interface Transport {
  loopStart: number;
  stepSeconds: number;
}

/** One hit handed to the audio context: the loop's step and drum, and when it sounds on the daemon's clock (seconds). */
export interface ScheduledNote {
  step: number;
  drum: number;
  velocity: number;
  daemonTime: number;
}

/** The scheduled hits kept for a reader: a few loops' worth, so a page left open does not grow. */
const KEEP_SCHEDULED = 512;

/** How far ahead the page schedules: past a frame of jank, short enough that a new loop is heard within it. */
const LOOK_AHEAD_S = 0.2;
/** How often the scheduler wakes up; every hit still carries its exact time. */
const WAKE_MS = 50;
/** A hit whose time went by more than this ago is not played late: it is skipped. */
const TOO_LATE_S = 0.02;

/**
 * The box's synthesised kit in this browser, playing the loop on the daemon's
 * loop clock (the same voices as the daemon's sound card: outputs/audio/drum-kit.ts).
 * Times travel daemon seconds -> page seconds (the server's clock estimate)
 * -> AudioContext time; the wake-up timer only decides when to look, never
 * when a hit sounds (Tone.js's ticker and scheduler, in small).
 */
export class PageAudio {
  #ctx: AudioContext | null = null;
  #out: GainNode | null = null;
  /** daemon seconds = page performance.now() / 1000 + offset. */
  #offset: number | null = null;
  #transport: Transport | null = null;
  #notes: NoteTuple[] = [];
  /** Daemon time up to which the loop has been handed to the audio context. */
  #scheduledUntil = -Infinity;
  #muted = false;
  /** Hits handed to the audio context since the page opened (read by the browser test). */
  scheduled = 0;
  /**
   * The latest hits handed to the audio context, oldest first: what the page
   * really asked to be heard, so a test can check it against the loop.
   */
  readonly scheduledNotes: ScheduledNote[] = [];

  /** Browsers start audio only from a user gesture: call this from the first click or key. */
  start(): void {
    if (this.#ctx) {
      if (this.#ctx.state === 'suspended') void this.#ctx.resume();
      return;
    }
    this.#ctx = new AudioContext({ latencyHint: 'interactive' });
    this.#out = this.#ctx.createGain();
    this.#out.gain.value = this.#muted ? 0 : 0.8;
    this.#out.connect(this.#ctx.destination);
    setInterval(() => this.#wake(), WAKE_MS);
  }

  get running(): boolean {
    return this.#ctx !== null;
  }

  /** The page's own click on a tap, heard at once before the daemon's sound comes back. */
  click(velocity: number): void {
    const ctx = this.#ctx;
    if (!ctx || !this.#out) return;
    const t = ctx.currentTime;
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.setValueAtTime(1800, t);
    osc.frequency.exponentialRampToValueAtTime(600, t + 0.03);
    gain.gain.setValueAtTime(0.05 + 0.3 * velocity, t);
    gain.gain.exponentialRampToValueAtTime(0.001, t + 0.05);
    osc.connect(gain).connect(this.#out);
    osc.start(t);
    osc.stop(t + 0.06);
  }

  set muted(muted: boolean) {
    this.#muted = muted;
    if (this.#out && this.#ctx) this.#out.gain.setValueAtTime(muted ? 0 : 0.8, this.#ctx.currentTime);
  }

  get muted(): boolean {
    return this.#muted;
  }

  /** The server's estimate after each ping: daemon = page + offset. */
  setClockOffset(offset: number): void {
    this.#offset = offset;
  }

  /** What plays and when: a new loop is heard from the next hit not yet handed out. */
  setLoop(notes: NoteTuple[], transport: Transport | null): void {
    this.#notes = notes;
    const changedClock = !transport || !this.#transport || transport.stepSeconds !== this.#transport.stepSeconds;
    this.#transport = transport;
    if (changedClock && !transport) this.#scheduledUntil = -Infinity;
  }

  #wake(): void {
    const ctx = this.#ctx;
    const transport = this.#transport;
    if (!ctx || !this.#out || this.#offset === null || !transport || ctx.state !== 'running') return;
    const pageNow = performance.now() / 1000;
    const daemonNow = pageNow + this.#offset;
    // Audio time of daemon time t: the context's clock runs beside performance.now(); their gap is read each wake-up.
    const audioMinusDaemon = ctx.currentTime - daemonNow;
    const from = Math.max(this.#scheduledUntil, daemonNow - TOO_LATE_S);
    const until = daemonNow + LOOK_AHEAD_S;
    if (until <= from) return;
    const loopSeconds = STEPS * transport.stepSeconds;
    const firstLoop = Math.floor((from - transport.loopStart) / loopSeconds) - 1;
    const lastLoop = Math.floor((until - transport.loopStart) / loopSeconds) + 1;
    for (let loop = firstLoop; loop <= lastLoop; loop++) {
      const base = transport.loopStart + loop * loopSeconds;
      for (const [step, drum, velocity, offset] of this.#notes) {
        const t = base + (step + offset / 2) * transport.stepSeconds;
        if (t < from || t >= until) continue;
        playDrum(ctx, this.#out, drum, Math.max(ctx.currentTime, t + audioMinusDaemon), velocity);
        this.scheduled++;
        this.scheduledNotes.push({ step, drum, velocity, daemonTime: t });
        if (this.scheduledNotes.length > KEEP_SCHEDULED) this.scheduledNotes.shift();
      }
    }
    this.#scheduledUntil = until;
  }
}
