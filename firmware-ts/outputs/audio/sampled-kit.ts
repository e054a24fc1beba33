import { playDrum, velocityGain } from './drum-kit.js';

/**
 * Velocity layers per drum. Velocity changes more than loudness in the
 * synthesis: the noisy voices' filter opens (cutoff x0.6..x1) and every
 * envelope falls to the same floor, so a soft hit decays more gently in dB.
 * Four layers leave at most 1/8 of the velocity range between a hit and its
 * layer: a cutoff within 9% of the synthesised one, a small shift on
 * filtered noise; loudness inside a layer is then exact, by the hit's gain.
 * 9 drums x 4 layers is 3.6 MB of samples at 48 kHz.
 */
export const LAYERS = 4;
export const DRUMS = 9;

/** Longest voice (the crash: 1.45 s) plus its filter's ring, with room to spare. */
const VOICE_SECONDS = 1.6;

/** The layer a velocity 0..1 plays: equal shares of the velocity range. */
export function layerOf(velocity: number): number {
  return Math.min(LAYERS - 1, Math.max(0, Math.floor(velocity * LAYERS)));
}

/** The velocity a layer is rendered at: the middle of its share. */
export function layerVelocity(layer: number): number {
  return (layer + 0.5) / LAYERS;
}

/**
 * The synthesised kit (drum-kit.ts) rendered once, offline, into one
 * AudioBuffer per drum and velocity layer. A hit is then one native node, a
 * buffer source sharing the rendered buffer (AudioOut lends it a gain),
 * instead of a graph of oscillators, filters and automated gains per hit:
 * that graph's native memory is freed only when V8 collects its wrappers,
 * which V8, blind to that memory, does not hurry, and until then the render
 * thread keeps processing it.
 */
export class SampledKit {
  readonly sampleRate: number;
  /** [drum][layer], each starting with its attack on sample 0 and ending at its last non-zero sample. */
  readonly #buffers: AudioBuffer[][];

  private constructor(sampleRate: number, buffers: AudioBuffer[][]) {
    this.sampleRate = sampleRate;
    this.#buffers = buffers;
  }

  /**
   * Renders each drum at each layer in its own OfflineAudioContext, all at
   * once, at `sampleRate` (the live context's, so nothing is resampled at
   * play time). Separate contexts: one shared context would process every
   * voice's nodes for its whole length, and take several times as long.
   */
  static async render(sampleRate: number): Promise<SampledKit> {
    const { OfflineAudioContext } = await import('node-web-audio-api');
    const renderVoice = async (drum: number, layer: number): Promise<AudioBuffer> => {
      const ctx = new OfflineAudioContext({
        numberOfChannels: 1,
        length: Math.ceil(VOICE_SECONDS * sampleRate),
        sampleRate,
      }) as unknown as OfflineAudioContext;
      playDrum(ctx, ctx.destination, drum, 0, layerVelocity(layer));
      const rendered = (await ctx.startRendering()).getChannelData(0);
      const samples = rendered.subarray(0, soundingLength(rendered));
      const buffer = ctx.createBuffer(1, samples.length, sampleRate);
      buffer.copyToChannel(samples, 0);
      return buffer;
    };
    const drums = Array.from({ length: DRUMS }, (_, drum) =>
      Promise.all(Array.from({ length: LAYERS }, (_, layer) => renderVoice(drum, layer))),
    );
    return new SampledKit(sampleRate, await Promise.all(drums));
  }

  buffer(drum: number, layer: number): AudioBuffer {
    if (!(Number.isInteger(drum) && drum >= 0 && drum < DRUMS))
      throw new RangeError(`drum: expected 0..${DRUMS - 1}, got ${drum}`);
    return this.#buffers[drum][layer];
  }

  /** What drum 0..8 at velocity 0..1 plays: its layer's buffer, and the gain that brings the layer to the hit's own loudness. */
  hit(drum: number, velocity: number): { buffer: AudioBuffer; gain: number } {
    const layer = layerOf(velocity);
    return { buffer: this.buffer(drum, layer), gain: velocityGain(velocity) / velocityGain(layerVelocity(layer)) };
  }
}

/** Up to the last non-zero sample: the voice's own stop (and its filter's ring) decides its length. */
function soundingLength(samples: Float32Array): number {
  let end = samples.length;
  while (end > 1 && samples[end - 1] === 0) end--;
  return end;
}
