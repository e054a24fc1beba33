/** Beats (quarter notes) per minute. */
export type Bpm = number;

export const MIN_BPM: Bpm = 40;
export const MAX_BPM: Bpm = 240;
export const DEFAULT_BPM: Bpm = 120;

/** 16ths per quarter note: the pattern grid is 16th notes. */
export const STEPS_PER_BEAT = 4;

/** Duration of one 16th note at `bpm`, in seconds. */
export function stepSeconds(bpm: Bpm): number {
  return 60 / bpm / STEPS_PER_BEAT;
}

/**
 * Tempo is a performer's knob, not a programming error: a value out of range is
 * clamped (and said through `warn`) rather than stopping the music. Only a
 * value that is not a number at all is refused.
 */
export function clampTempo(bpm: Bpm, warn: (message: string) => void): Bpm {
  if (typeof bpm !== 'number' || !Number.isFinite(bpm)) {
    throw new RangeError(`tempo: expected a number of BPM in ${MIN_BPM}..${MAX_BPM}, got ${String(bpm)}`);
  }
  if (bpm < MIN_BPM || bpm > MAX_BPM) {
    const clamped = bpm < MIN_BPM ? MIN_BPM : MAX_BPM;
    warn(`tempo ${bpm} BPM is outside ${MIN_BPM}..${MAX_BPM}; using ${clamped} BPM`);
    return clamped;
  }
  return bpm;
}
