import { expect } from 'chai';
import { OfflineAudioContext } from 'node-web-audio-api';
import { AudioOut } from '../firmware-ts/outputs/audio/audio-out.js';
import { velocityGain } from '../firmware-ts/outputs/audio/drum-kit.js';
import { GainLanes, MAX_LANES } from '../firmware-ts/outputs/audio/gain-lanes.js';
import { renderPattern } from '../firmware-ts/outputs/audio/render.js';
import { DRUMS, LAYERS, SampledKit, layerOf, layerVelocity } from '../firmware-ts/outputs/audio/sampled-kit.js';
import { Pattern } from '../firmware-ts/pattern/pattern.js';

const KICK = 0,
  SNARE = 1,
  HAT = 2,
  CRASH = 7;
const RATE = 22050;

function offline(seconds: number): OfflineAudioContext {
  return new OfflineAudioContext({ numberOfChannels: 1, length: Math.round(seconds * RATE), sampleRate: RATE });
}

function note(time: number, drum: number, velocity: number) {
  return { type: 'note' as const, time, drum, velocity, step: 0, offset: 0, position: 0 };
}

/** First sample that is not exactly zero, at or after `from`. */
function firstSound(data: Float32Array, from = 0): number {
  for (let i = from; i < data.length; i++) if (data[i] !== 0) return i;
  return -1;
}

/** Sign changes per sample: higher for noise filtered with a higher cutoff. */
function crossingRate(data: Float32Array): number {
  let n = 0;
  for (let i = 1; i < data.length; i++) if (data[i] < 0 !== data[i - 1] < 0) n++;
  return n / data.length;
}

describe('outputs: the sampled kit', () => {
  let kit: SampledKit;
  before(async () => {
    kit = await SampledKit.render(RATE);
  });

  it('renders every drum at every layer with its attack on the first sample', () => {
    for (let drum = 0; drum < DRUMS; drum++) {
      for (let layer = 0; layer < LAYERS; layer++) {
        const data = kit.buffer(drum, layer).getChannelData(0);
        expect(data[0], `drum ${drum} layer ${layer}`).to.not.equal(0);
        expect(data.length, `drum ${drum} layer ${layer}`).to.be.within(0.05 * RATE, 1.6 * RATE);
      }
    }
  });

  it('picks a layer by equal shares of the velocity range, rendered at the middle of each', () => {
    expect([0, 0.2499, 0.25, 0.5, 0.74, 0.75, 0.99, 1].map(layerOf)).to.deep.equal([0, 0, 1, 2, 2, 3, 3, 3]);
    expect([0, 1, 2, 3].map(layerVelocity)).to.deep.equal([0.125, 0.375, 0.625, 0.875]);
  });

  it('makes soft hats darker, not only quieter', () => {
    const soft = kit.buffer(HAT, 0).getChannelData(0);
    const hard = kit.buffer(HAT, LAYERS - 1).getChannelData(0);
    expect(crossingRate(hard)).to.be.greaterThan(crossingRate(soft) * 1.05);
  });

  it('starts a hit on the first sample at or after `when`, on and between samples', async () => {
    const ctx = offline(2);
    const audio = new AudioOut({ context: ctx as unknown as BaseAudioContext, kit });
    const starts = [1000, 12345.25, 23456.5, 34567.9];
    starts.forEach((s, i) => audio.handle(note(s / RATE, [KICK, SNARE, HAT, CRASH][i], 0.8)));
    const data = (await ctx.startRendering()).getChannelData(0);
    // Each hit is over (or is the last) before the next, so the first sound after the silence is its onset.
    expect(firstSound(data)).to.equal(1000);
    for (const s of starts.slice(1)) {
      expect(data[Math.ceil(s) - 1], `just before ${s}`).to.equal(0);
      expect(firstSound(data, Math.ceil(s) - 1), `onset of ${s}`).to.equal(Math.ceil(s));
    }
  });

  it("plays a hit as its layer scaled to the hit's loudness, through the master gain, also on a reused gain lane", async () => {
    const ctx = offline(1.5);
    const audio = new AudioOut({ context: ctx as unknown as BaseAudioContext, kit, gain: 0.5 });
    audio.handle(note(0, KICK, 1));
    // After the kick has ended, so the snare borrows the kick's lane; off the block grid.
    const at = 13337;
    audio.handle(note(at / RATE, SNARE, 0.3));
    const data = (await ctx.startRendering()).getChannelData(0);
    const layer = kit.buffer(SNARE, 1).getChannelData(0);
    const scale = (0.5 * velocityGain(0.3)) / velocityGain(0.375);
    for (let i = 0; i < layer.length; i += i < 256 ? 1 : 97)
      expect(data[at + i], `sample ${i}`).to.be.closeTo(layer[i] * scale, 1e-6);
    expect(data[at + layer.length + 10]).to.equal(0);
  });

  it('lends a gain lane to one hit at a time and reuses it once that hit has ended', () => {
    const ctx = offline(1);
    const lanes = new GainLanes(ctx as unknown as BaseAudioContext, ctx.destination as unknown as AudioNode);
    const a = lanes.take(0, 1, 0.5);
    const b = lanes.take(0.5, 1.5, 0.5);
    expect(b).to.not.equal(a);
    expect(lanes.take(1, 2, 0.5)).to.equal(a);
    expect(lanes.take(1.2, 1.3, 0.5)).to.not.be.oneOf([a, b]);
    expect(lanes.take(1.5, 1.6, 0.5)).to.equal(b);
    expect(lanes.size).to.equal(3);
  });

  it('a stop cancels the hits not yet begun and lets a sounding crash ring out', async () => {
    const withStop = offline(2),
      alone = offline(2);
    const a = new AudioOut({ context: withStop as unknown as BaseAudioContext, kit });
    a.handle(note(0.1, CRASH, 1));
    a.handle(note(0.8, SNARE, 1));
    a.handle(note(1.2, KICK, 1));
    a.handle({ type: 'stop', time: 0.5, position: 8 });
    new AudioOut({ context: alone as unknown as BaseAudioContext, kit }).handle(note(0.1, CRASH, 1));
    const [x, y] = await Promise.all([withStop.startRendering(), alone.startRendering()]);
    expect(Array.from(x.getChannelData(0))).to.deep.equal(Array.from(y.getChannelData(0)));
    expect(firstSound(x.getChannelData(0), Math.round(0.7 * RATE))).to.be.greaterThan(-1); // still ringing after the stop
  });

  it('drops notes until the kit it renders itself is ready, then plays', async () => {
    const ctx = offline(1);
    const logs: string[] = [];
    const audio = new AudioOut({ context: ctx as unknown as BaseAudioContext, log: (m) => logs.push(m) });
    audio.handle(note(0.1, KICK, 1));
    audio.handle(note(0.2, KICK, 1));
    expect(audio.unready).to.equal(2);
    expect(logs).to.have.length(1);
    await audio.ready;
    audio.handle(note(0.5, KICK, 1));
    const data = (await ctx.startRendering()).getChannelData(0);
    expect(firstSound(data)).to.equal(Math.round(0.5 * RATE));
  });

  it('after a stall, a hit more than 20 ms late is dropped rather than piled onto the others; one a little late plays at once', async () => {
    const ctx = offline(0.5);
    const audio = new AudioOut({ context: ctx as unknown as BaseAudioContext, kit });
    audio.handle(note(-0.05, KICK, 1)); // the context is at 0: missed by 50 ms
    audio.handle(note(-0.005, SNARE, 1));
    expect(audio.dropped).to.equal(1);
    expect(audio.late).to.equal(1);
    const reference = offline(0.5);
    new AudioOut({ context: reference as unknown as BaseAudioContext, kit }).handle(note(0, SNARE, 1));
    const [got, want] = await Promise.all([ctx.startRendering(), reference.startRendering()]);
    expect(Array.from(got.getChannelData(0)), 'the snare alone, from the first sample').to.deep.equal(
      Array.from(want.getChannelData(0)),
    );
  });

  it('never grows past MAX_LANES gain lanes: a hit that finds none free is refused', () => {
    const ctx = offline(1);
    const lanes = new GainLanes(ctx as unknown as BaseAudioContext, ctx.destination as unknown as AudioNode);
    for (let i = 0; i < MAX_LANES; i++) expect(lanes.take(0, 1, 0.5), `lane ${i}`).to.not.equal(null);
    expect(lanes.take(0.5, 1, 0.5)).to.equal(null);
    expect(lanes.size).to.equal(MAX_LANES);
    expect(lanes.take(1, 2, 0.5), 'a lane whose hit has ended is lent again').to.not.equal(null);
    expect(lanes.size).to.equal(MAX_LANES);
  });

  it('refuses a kit rendered at another sample rate', () => {
    const ctx = new OfflineAudioContext({ numberOfChannels: 1, length: 128, sampleRate: 48000 });
    expect(() => new AudioOut({ context: ctx as unknown as BaseAudioContext, kit })).to.throw(
      RangeError,
      /22050 Hz.*48000 Hz/,
    );
  });

  it("renders an early first downbeat at 0, and not the next loop's early downbeat into the tail", async () => {
    // 120 BPM, 2 loops of 4 s; the kick on step 0 is 50 ms early (offset -0.8 of half a 16th).
    const r = await renderPattern(new Pattern().set(0, KICK, 1, -0.8), {
      bpm: 120,
      loops: 2,
      sampleRate: RATE,
      tail: 1,
    });
    expect(r.notes).to.have.length(2);
    expect(r.notes[0].time).to.equal(0);
    expect(r.notes[1].time).to.be.closeTo(3.95, 1e-6);
    const data = r.channels[0];
    expect(firstSound(data), "the first loop's hit, at the first sample").to.equal(0);
    const tail = data.subarray(Math.round(7.9 * RATE));
    expect(Math.max(...tail.map(Math.abs)), 'nothing from a third loop in the tail').to.be.below(1e-4);
  });

  it('renders WAVs with the same kit the box plays', async () => {
    const r = await renderPattern(new Pattern().set(0, KICK, 1, 0), { bpm: 120, sampleRate: RATE, tail: 0 });
    const layer = kit.buffer(KICK, LAYERS - 1).getChannelData(0);
    const scale = (0.8 * velocityGain(1)) / velocityGain(layerVelocity(LAYERS - 1));
    for (let i = 0; i < layer.length; i += 31)
      expect(r.channels[0][i], `sample ${i}`).to.be.closeTo(layer[i] * scale, 1e-6);
  });
});
