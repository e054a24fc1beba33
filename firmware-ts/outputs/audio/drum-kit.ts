/**
 * A synthesised 9-drum kit in Web Audio: no recorded samples, so nothing to
 * license. Every voice starts with its full attack exactly at `when` (no
 * fade-in), so the onset is where the sequencer put it. Velocity scales
 * loudness (a power curve, since perceived loudness is not linear in gain)
 * and, for the noisy voices, brightness.
 *
 * Live playback does not build these graphs per hit (each one is several
 * native nodes whose memory V8 cannot see): sampled-kit.ts renders them once.
 */

type Ctx = BaseAudioContext;

/** What a voice leaves behind: its sources, so a stop can cancel it before it sounds. */
export interface Voice {
  when: number;
  sources: AudioScheduledSourceNode[];
}

const noiseBuffers = new WeakMap<Ctx, AudioBuffer>();

/** One second of white noise per context, made once (deterministic, so renders are repeatable). */
function noise(ctx: Ctx): AudioBuffer {
  let buffer = noiseBuffers.get(ctx);
  if (!buffer) {
    buffer = ctx.createBuffer(1, ctx.sampleRate, ctx.sampleRate);
    const data = buffer.getChannelData(0);
    let seed = 0x12345678;
    for (let i = 0; i < data.length; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      data[i] = seed / 0x80000000 - 1;
    }
    noiseBuffers.set(ctx, buffer);
  }
  return buffer;
}

const crestWaves = new WeakMap<Ctx, PeriodicWave>();

/**
 * A cosine (a sine that starts at its crest), made once per context: a
 * PeriodicWave holds band-limited wavetables, and one per hit grew the
 * daemon's memory by about a megabyte a second at a busy tempo.
 */
function crestWave(ctx: Ctx): PeriodicWave {
  let wave = crestWaves.get(ctx);
  if (!wave) {
    wave = ctx.createPeriodicWave(new Float32Array([0, 1]), new Float32Array([0, 0]));
    crestWaves.set(ctx, wave);
  }
  return wave;
}

function envelope(ctx: Ctx, out: AudioNode, when: number, peak: number, decay: number): GainNode {
  const g = ctx.createGain();
  g.gain.setValueAtTime(0, 0);
  // An exponential ramp cannot start from 0: a silent hit is merely very quiet.
  g.gain.setValueAtTime(Math.max(peak, 0.0002), when);
  g.gain.exponentialRampToValueAtTime(0.0001, when + decay);
  g.connect(out);
  return g;
}

/** A sine whose pitch falls from `f0` to `f1`: kick and toms. */
function body(
  ctx: Ctx,
  out: AudioNode,
  when: number,
  peak: number,
  f0: number,
  f1: number,
  sweep: number,
  decay: number,
): AudioScheduledSourceNode {
  const osc = ctx.createOscillator();
  osc.type = 'sine';
  osc.frequency.setValueAtTime(f0, when);
  osc.frequency.exponentialRampToValueAtTime(f1, when + sweep);
  // A sine from phase 0 would begin silent; start at its crest so the onset is at `when`.
  osc.setPeriodicWave(crestWave(ctx));
  osc.connect(envelope(ctx, out, when, peak, decay));
  osc.start(when);
  osc.stop(when + decay + 0.05);
  return osc;
}

function hiss(
  ctx: Ctx,
  out: AudioNode,
  when: number,
  peak: number,
  type: BiquadFilterType,
  freq: number,
  decay: number,
  q = 0.7,
): AudioScheduledSourceNode {
  const src = ctx.createBufferSource();
  src.buffer = noise(ctx);
  src.loop = true;
  const filter = ctx.createBiquadFilter();
  filter.type = type;
  filter.frequency.setValueAtTime(freq, 0);
  filter.Q.setValueAtTime(q, 0);
  src.connect(filter);
  filter.connect(envelope(ctx, out, when, peak, decay));
  // A different spot in the noise per hit (derived from the time, so renders repeat exactly).
  src.start(when, (when * 7.31) % 0.5);
  src.stop(when + decay + 0.05);
  return src;
}

/** Gain for a velocity 0..1: a power curve, since perceived loudness is not linear in gain. */
export function velocityGain(velocity: number): number {
  return Math.pow(Math.max(0, Math.min(1, velocity)), 1.6);
}

/** Synthesises drum 0..8 (pattern/drums.ts order) at context time `when` with velocity 0..1. */
export function playDrum(ctx: Ctx, out: AudioNode, drum: number, when: number, velocity: number): Voice {
  const v = Math.max(0, Math.min(1, velocity));
  const loud = velocityGain(v);
  const bright = 0.6 + 0.4 * v;
  const s: AudioScheduledSourceNode[] = [];
  switch (drum) {
    case 0: // kick
      s.push(body(ctx, out, when, 0.9 * loud, 140, 48, 0.09, 0.45));
      break;
    case 1: // snare: noise crack + a tuned shell
      s.push(hiss(ctx, out, when, 0.55 * loud, 'highpass', 1500 * bright, 0.2));
      s.push(body(ctx, out, when, 0.35 * loud, 220, 180, 0.05, 0.12));
      break;
    case 2: // closed hat
      s.push(hiss(ctx, out, when, 0.35 * loud, 'highpass', 7500 * bright, 0.05));
      break;
    case 3: // open hat
      s.push(hiss(ctx, out, when, 0.3 * loud, 'highpass', 7000 * bright, 0.4));
      break;
    case 4: // low tom
      s.push(body(ctx, out, when, 0.7 * loud, 120, 85, 0.2, 0.4));
      break;
    case 5: // mid tom
      s.push(body(ctx, out, when, 0.65 * loud, 170, 125, 0.18, 0.35));
      break;
    case 6: // high tom
      s.push(body(ctx, out, when, 0.6 * loud, 230, 170, 0.16, 0.3));
      break;
    case 7: // crash: broad, long
      s.push(hiss(ctx, out, when, 0.3 * loud, 'highpass', 4000 * bright, 1.4));
      break;
    case 8: // ride: narrower band, a ping on top
      s.push(hiss(ctx, out, when, 0.18 * loud, 'bandpass', 6500 * bright, 0.9, 1.2));
      s.push(body(ctx, out, when, 0.06 * loud, 620, 600, 0.5, 0.6));
      break;
    default:
      throw new RangeError(`drum: expected 0..8, got ${drum}`);
  }
  return { when, sources: s };
}
