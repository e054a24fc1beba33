import type { Seconds } from '../../time/clock.js';

/**
 * Tap sounds made from numbers, for the fake input, the tests and the onset
 * benchmark: every sample is a function of a seed, so a figure can be
 * reproduced exactly. Each sound starts exactly at its onset time (its first
 * non-zero sample), which is the truth the detector is measured against.
 */

export type TapSound = 'click' | 'clap' | 'knock';
export const TAP_SOUNDS: readonly TapSound[] = ['click', 'clap', 'knock'];

export interface SyntheticTap {
  time: Seconds;
  /** Peak amplitude, 0..1 of full scale. */
  amplitude: number;
  sound: TapSound;
}

/** A small seeded generator (an LCG is plenty for noise that only needs to be repeatable). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** One tap's samples, peak near `amplitude`, starting at sample 0. */
export function tapSound(sound: TapSound, amplitude: number, sampleRate: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const length = Math.round(sampleRate * (sound === 'clap' ? 0.25 : 0.12));
  const out = new Float32Array(length);
  if (sound === 'click') {
    // A stick on a hard edge: a short noise impulse then a ringing at 2.5 kHz.
    for (let i = 0; i < length; i++) {
      const t = i / sampleRate;
      const impulse = t < 0.0003 ? random() * 2 - 1 : 0;
      out[i] = 0.6 * impulse + Math.exp(-t / 0.006) * Math.sin(2 * Math.PI * 2500 * t + 0.5);
    }
  } else if (sound === 'knock') {
    // A knuckle on a table: a low body and a brighter top, a millisecond's attack.
    for (let i = 0; i < length; i++) {
      const t = i / sampleRate;
      const attack = Math.min(1, t / 0.001);
      out[i] =
        attack * Math.exp(-t / 0.02) * (0.7 * Math.sin(2 * Math.PI * 180 * t) + 0.4 * Math.sin(2 * Math.PI * 930 * t));
    }
  } else {
    // A hand clap: three quick bursts of noise (the palms meeting unevenly), the last one loudest, then a decaying tail, band-limited around 1-2 kHz.
    const bursts = [
      { at: 0, gain: 0.6 },
      { at: 0.0035, gain: 0.8 },
      { at: 0.007, gain: 1 },
    ];
    let low = 0,
      band = 0;
    const a = Math.exp((-2 * Math.PI * 3500) / sampleRate);
    const b = Math.exp((-2 * Math.PI * 600) / sampleRate);
    for (let i = 0; i < length; i++) {
      const t = i / sampleRate;
      let envelope = 0;
      for (const burst of bursts)
        if (t >= burst.at)
          envelope = Math.max(envelope, burst.gain * Math.exp(-(t - burst.at) / (burst.at === 0.007 ? 0.035 : 0.0012)));
      const x = (random() * 2 - 1) * envelope;
      low = a * low + (1 - a) * x; // low-pass
      band = b * band + (1 - b) * low; // the low-pass of that, subtracted: a band-pass
      out[i] = i === 0 ? envelope * 0.5 : 2.2 * (low - band);
    }
  }
  let peak = 0;
  for (const x of out) peak = Math.max(peak, Math.abs(x));
  for (let i = 0; i < length; i++) out[i] *= amplitude / peak;
  return out;
}

/** Taps at their times in a buffer of `duration` seconds. */
export function renderTaps(
  taps: readonly SyntheticTap[],
  duration: Seconds,
  sampleRate: number,
  seed = 1,
): Float32Array {
  const out = new Float32Array(Math.round(duration * sampleRate));
  taps.forEach((tap, k) => {
    const sound = tapSound(tap.sound, tap.amplitude, sampleRate, seed * 7919 + k);
    // The onset falls between samples in general: start at the next sample so that nothing sounds before the true time.
    const start = Math.ceil(tap.time * sampleRate);
    for (let i = 0; i < sound.length && start + i < out.length; i++) if (start + i >= 0) out[start + i] += sound[i];
  });
  return out;
}

/** The RMS level of the first 20 ms of each tap, averaged in power: "the taps' level" that noise is set against. */
export function tapLevel(taps: readonly SyntheticTap[], sampleRate: number, seed = 1): number {
  let power = 0;
  taps.forEach((tap, k) => {
    const sound = tapSound(tap.sound, tap.amplitude, sampleRate, seed * 7919 + k);
    const n = Math.min(sound.length, Math.round(0.02 * sampleRate));
    let sum = 0;
    for (let i = 0; i < n; i++) sum += sound[i] ** 2;
    power += sum / n;
  });
  return Math.sqrt(power / Math.max(1, taps.length));
}

/** Pink-ish room noise (a three-pole approximation of 1/f) with the given RMS level. */
export function roomNoise(length: number, rms: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(length);
  let b0 = 0,
    b1 = 0,
    b2 = 0,
    sum = 0;
  for (let i = 0; i < length; i++) {
    const white = random() * 2 - 1;
    b0 = 0.99765 * b0 + white * 0.099046;
    b1 = 0.963 * b1 + white * 0.2965164;
    b2 = 0.57 * b2 + white * 1.0526913;
    out[i] = b0 + b1 + b2 + white * 0.1848;
    sum += out[i] ** 2;
  }
  const scale = rms / Math.sqrt(sum / Math.max(1, length));
  for (let i = 0; i < length; i++) out[i] *= scale;
  return out;
}

/**
 * A performer's taps at a tempo: on each 16th with probability `density`,
 * pushed or dragged by up to `jitter`, with amplitudes spread over `dynamics`
 * dB below `peak`; `doubles` adds a second stroke `doubleGap` after that many of them.
 */
export function tapRhythm(options: {
  bpm: number;
  bars: number;
  sound: TapSound | 'mixed';
  seed: number;
  lead?: Seconds;
  density?: number;
  jitter?: Seconds;
  peak?: number;
  dynamics?: number;
  doubles?: number;
  doubleGap?: Seconds;
}): SyntheticTap[] {
  const random = seededRandom(options.seed);
  const step = 60 / options.bpm / 4;
  const lead = options.lead ?? 0.5;
  const density = options.density ?? 0.5;
  const jitter = options.jitter ?? 0.01;
  const peak = options.peak ?? 0.5;
  const dynamics = options.dynamics ?? 10;
  const taps: SyntheticTap[] = [];
  let doubles = options.doubles ?? 0;
  for (let s = 0; s < options.bars * 16; s++) {
    if (s > 0 && random() > density) continue;
    // Never so early or late that a tap would run into its neighbours.
    const time = lead + s * step + (random() * 2 - 1) * Math.min(jitter, step / 4);
    const amplitude = peak * 10 ** ((-random() * dynamics) / 20);
    const sound = options.sound === 'mixed' ? TAP_SOUNDS[Math.floor(random() * TAP_SOUNDS.length)] : options.sound;
    taps.push({ time, amplitude, sound });
    if (doubles > 0 && random() < 0.5) {
      doubles--;
      taps.push({ time: time + (options.doubleGap ?? 0.03), amplitude: amplitude * (0.8 + 0.2 * random()), sound });
    }
  }
  return taps;
}
