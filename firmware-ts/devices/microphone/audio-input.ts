import type { Seconds } from '../../time/clock.js';
import type { Unsubscribe } from '../interfaces.js';

/** Captured samples: mono, -1..1, each block contiguous with the one before. */
export interface AudioBlock {
  samples: Float32Array;
  /** When samples[0] was captured, on the box's clock (the input path's own latency not yet taken off). */
  time: Seconds;
}

/**
 * An audio input (a USB microphone, an audio interface, the fake): a stream
 * of blocks. Obligations: blocks arrive in order with no gap and no overlap;
 * each is stamped at capture, not at delivery; `onEnd` fires once when capture
 * stops by itself (unplugged, driver died) and never after `close`.
 */
export interface AudioInput {
  readonly sampleRate: number;
  onBlock(listener: (block: AudioBlock) => void): Unsubscribe;
  onEnd(listener: (error: Error) => void): Unsubscribe;
  close(): Promise<void>;
  /** What is wrong right now, in a few words; null when it works. */
  trouble?(): string | null;
}
