import type { Pattern } from '../../pattern/pattern.js';
import { STEPS } from '../../pattern/pattern.js';
import type { NoteEvent } from '../../sequencer/events.js';
import { Sequencer } from '../../sequencer/sequencer.js';
import { stepSeconds, type Bpm } from '../../sequencer/tempo.js';
import { OfflineClock } from '../../time/clock.js';
import { AudioOut } from './audio-out.js';
import { SampledKit } from './sampled-kit.js';
import { encodeWav } from './wav.js';

export interface RenderOptions {
  bpm: Bpm;
  /** How many times the 2-bar loop plays. */
  loops?: number;
  sampleRate?: number;
  /** Seconds after the last loop for the last hits to ring out. */
  tail?: number;
}

export interface Rendered {
  channels: Float32Array[];
  sampleRate: number;
  /** The note events that were played, with their times (= seconds into the file). */
  notes: NoteEvent[];
  wav: Uint8Array;
}

/**
 * Plays `pattern` through the real sequencer on an offline clock into an
 * OfflineAudioContext: the same event path as live playback, rendered as fast
 * as the CPU allows, with the same sampled kit the box plays. The first
 * downbeat is at 0 s; an early hit on it would be before the file starts and
 * is played at 0.
 */
export async function renderPattern(pattern: Pattern, options: RenderOptions): Promise<Rendered> {
  const { OfflineAudioContext } = await import('node-web-audio-api');
  const loops = options.loops ?? 1;
  const sampleRate = options.sampleRate ?? 44100;
  const tail = options.tail ?? 1;
  if (!(Number.isInteger(loops) && loops >= 1 && loops <= 64))
    throw new RangeError(`loops: expected an integer 1..64, got ${loops}`);
  const seconds = loops * STEPS * stepSeconds(options.bpm);
  const length = Math.ceil((seconds + tail) * sampleRate);
  const kit = await SampledKit.render(sampleRate);
  const context = new OfflineAudioContext({ numberOfChannels: 1, length, sampleRate });

  // The sequencer's clock starts a little before 0 so that the downbeat can sit at exactly 0.
  const clock = new OfflineClock(-1);
  const sequencer = new Sequencer({ clock, bpm: options.bpm, pattern });
  const audio = new AudioOut({ context: context as unknown as BaseAudioContext, kit });
  const notes: NoteEvent[] = [];
  sequencer.on((e) => {
    // A hit belongs to the loop of its grid position: the next loop's early downbeat is not in the file, and the
    // first loop's is played at 0 (before it, AudioOut would drop it as late).
    if (e.type === 'note' && e.position < loops * STEPS) {
      const note = e.time < 0 ? { ...e, time: 0 } : e;
      notes.push(note);
      audio.handle(note);
    }
  });
  sequencer.start(0);
  clock.advanceTo(seconds);
  sequencer.stop();

  const buffer = await context.startRendering();
  const channels = Array.from({ length: buffer.numberOfChannels }, (_, c) => buffer.getChannelData(c).slice());
  return { channels, sampleRate, notes, wav: encodeWav(channels, sampleRate) };
}
