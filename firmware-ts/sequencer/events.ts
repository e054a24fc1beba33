import type { Seconds } from '../time/clock.js';

/**
 * What the sequencer hands to its outputs. Every event carries its exact time
 * on the sequencer's clock; each output converts it into its own clock (MIDI:
 * the send loop's monotonic time; audio: AudioContext.currentTime).
 */
export type SequencerEvent = NoteEvent | PulseEvent | TransportEvent;

/**
 * A note handed to an output later than this after its time (the main thread
 * stalled past the look-ahead) is dropped rather than played at once: about a
 * 32nd at 180 BPM, below what a listener takes for the beat. Every output
 * drops by the same rule, so MIDI and audio agree on what was played.
 */
export const LATE_NOTE_LIMIT: Seconds = 0.02;

/** A drum hit. `time` already includes the microtiming offset. */
export interface NoteEvent {
  type: 'note';
  time: Seconds;
  /** Drum index 0..8 (see pattern/drums.ts). */
  drum: number;
  /** 0..1 as stored in the pattern; outputs apply their own velocity curve. */
  velocity: number;
  /** Step within the 2-bar loop, 0..31. */
  step: number;
  /** The pattern's offset for this hit, -1..1 (+-1 = half a 16th, positive = late). */
  offset: number;
  /** 16ths since the transport started from zero (grid position of this hit). */
  position: number;
}

/** A MIDI-clock pulse, 24 per quarter note, at exact grid time. Pulse 0 is the downbeat of position 0. */
export interface PulseEvent {
  type: 'pulse';
  time: Seconds;
  pulse: number;
}

/**
 * Transport changes, at the time they take effect. `position` is in 16ths
 * (= MIDI "beats" of the song position pointer). `stop` means: everything
 * queued after `time` is void and every sounding note must be released.
 */
export interface TransportEvent {
  type: 'start' | 'continue' | 'stop';
  time: Seconds;
  position: number;
}

export type SequencerListener = (event: SequencerEvent) => void;
