import { expect } from 'chai';
import { OfflineAudioContext } from 'node-web-audio-api';
import { AudioOut } from '../firmware-ts/outputs/audio/audio-out.js';
import { renderPattern } from '../firmware-ts/outputs/audio/render.js';
import { Pattern } from '../firmware-ts/pattern/pattern.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';

const KICK = 0,
  SNARE = 1,
  HAT = 2,
  HIGH_TOM = 6,
  RIDE = 8;
const BLOCK = 128; // one Web Audio render quantum

/** Sample indices where the signal rises above `threshold` after at least `gap` quiet samples. */
function onsets(data: Float32Array, threshold = 0.01, gap = 1500): number[] {
  const out: number[] = [];
  let lastLoud = -Infinity;
  for (let i = 0; i < data.length; i++) {
    if (Math.abs(data[i]) < threshold) continue;
    if (i - lastLoud > gap) out.push(i);
    lastLoud = i;
  }
  return out;
}

function peak(data: Float32Array, from: number, to: number): number {
  let m = 0;
  for (let i = from; i < to; i++) m = Math.max(m, Math.abs(data[i]));
  return m;
}

describe('outputs: audio kit and WAV render', () => {
  it('renders a known pattern with onsets where the pattern says (within one audio block)', async () => {
    // Hits far enough apart that each decays before the next; offsets of both signs.
    const p = new Pattern()
      .set(0, KICK, 1, 0)
      .set(8, SNARE, 0.9, 0.5)
      .set(16, HIGH_TOM, 0.7, -0.5)
      .set(24, HAT, 1, 0.8);
    const bpm = 110;
    const r = await renderPattern(p, { bpm, sampleRate: 44100, tail: 0.5 });
    const half = 60 / bpm / 4 / 2;
    const expected = [0, 8 * 2 * half + 0.5 * half, 16 * 2 * half - 0.5 * half, 24 * 2 * half + 0.8 * half];
    expect(r.notes.map((n) => n.time)).to.have.length(4);
    r.notes.forEach((n, i) => expect(n.time).to.be.closeTo(expected[i], 1e-9));
    const found = onsets(r.channels[0]);
    expect(found).to.have.length(4);
    found.forEach((sample, i) => expect(Math.abs(sample - expected[i] * 44100), `hit ${i}`).to.be.at.most(BLOCK));
  });

  it('is velocity-sensitive', async () => {
    const p = new Pattern().set(0, SNARE, 1, 0).set(16, SNARE, 0.3, 0);
    const r = await renderPattern(p, { bpm: 120, sampleRate: 22050, tail: 0.2 });
    const d = r.channels[0];
    const loud = peak(d, 0, 4000);
    const soft = peak(d, Math.round(2 * 22050), Math.round(2 * 22050) + 4000);
    expect(soft).to.be.greaterThan(0);
    expect(loud / soft).to.be.greaterThan(3);
  });

  it('plays all nine drums', async () => {
    const p = new Pattern();
    for (let d = 0; d <= RIDE; d++) p.set(d * 3, d, 1, 0);
    const r = await renderPattern(p, { bpm: 60, sampleRate: 22050, tail: 0.2 });
    const step = 0.25 * 22050;
    for (let d = 0; d <= RIDE; d++)
      expect(
        peak(r.channels[0], Math.round(d * 3 * step), Math.round(d * 3 * step + 2000)),
        `drum ${d}`,
      ).to.be.greaterThan(0.02);
  });

  it('writes a 16-bit PCM WAV of the render', async () => {
    const r = await renderPattern(new Pattern().set(0, KICK, 1), { bpm: 120, sampleRate: 22050, tail: 0 });
    const view = new DataView(r.wav.buffer, r.wav.byteOffset, r.wav.byteLength);
    const text = (at: number) => String.fromCharCode(...r.wav.slice(at, at + 4));
    expect([text(0), text(8), text(12), text(36)]).to.deep.equal(['RIFF', 'WAVE', 'fmt ', 'data']);
    expect(view.getUint16(22, true)).to.equal(1); // mono
    expect(view.getUint32(24, true)).to.equal(22050);
    expect(view.getUint16(34, true)).to.equal(16);
    expect(view.getUint32(40, true)).to.equal(r.channels[0].length * 2);
    expect(r.channels[0].length).to.equal(Math.ceil(4 * 22050)); // 2 bars of 4/4 at 120 BPM = 4 s
  });

  it('converts the sequencer clock to the context clock explicitly and cancels voices after a stop', async () => {
    const sampleRate = 22050;
    const ctx = new OfflineAudioContext({ numberOfChannels: 1, length: sampleRate * 2, sampleRate });
    const clock = new OfflineClock(100); // the sequencer's clock runs 100 s ahead of the context's
    const audio = new AudioOut({ context: ctx as unknown as BaseAudioContext, clock });
    await audio.ready;
    expect(audio.toContextTime(100.5)).to.be.closeTo(0.5, 1e-12);
    audio.handle({ type: 'note', time: 100.25, drum: KICK, velocity: 1, step: 0, offset: 0, position: 0 });
    audio.handle({ type: 'note', time: 101.5, drum: KICK, velocity: 1, step: 8, offset: 0, position: 8 });
    audio.handle({ type: 'stop', time: 101, position: 8 });
    const buffer = await ctx.startRendering();
    const d = buffer.getChannelData(0);
    const found = onsets(d);
    expect(found).to.have.length(1); // the hit after the stop never sounded
    expect(Math.abs(found[0] - 0.25 * sampleRate)).to.be.at.most(BLOCK);
    expect(peak(d, Math.round(1.45 * sampleRate), d.length)).to.equal(0);
  });
});
