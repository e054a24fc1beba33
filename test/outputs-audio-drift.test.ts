import { expect } from 'chai';
import { AudioOut, ClockFollower } from '../firmware-ts/outputs/audio/audio-out.js';
import { SampledKit } from '../firmware-ts/outputs/audio/sampled-kit.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';

const RATE = 8000;
const BLOCK = 128 / RATE;

/**
 * A sound card whose crystal runs `ppm` fast: its clock, read at sequencer time
 * t, is the start of the last rendered block (so readings are low by up to a
 * block), `lead` seconds ahead of the sequencer at t = 0.
 */
function soundCard(ppm: number, lead: number) {
  const trueTime = (t: number) => lead + t * (1 + ppm * 1e-6);
  return { trueTime, read: (t: number) => Math.floor(trueTime(t) / BLOCK) * BLOCK };
}

/** Just enough of a BaseAudioContext for AudioOut, recording when each hit starts. */
class FakeContext {
  currentTime = 0;
  readonly sampleRate = RATE;
  readonly destination = {};
  readonly starts: number[] = [];
  createGain() {
    return { gain: { value: 1, setValueAtTime() {} }, connect() {} };
  }
  createBufferSource() {
    const starts = this.starts;
    return {
      buffer: null,
      connect() {},
      start(when: number) {
        starts.push(when);
      },
      stop() {},
    };
  }
}

describe('outputs: audio follows the sound card clock as it drifts', () => {
  for (const ppm of [80, -60]) {
    it(`keeps within a quarter block of a sound card ${Math.abs(ppm)} ppm ${ppm > 0 ? 'fast' : 'slow'} over an hour, correcting at most 0.5 ms per second`, () => {
      const card = soundCard(ppm, 3.7);
      const follower = new ClockFollower();
      follower.anchor(card.read(0), 0); // a reading is contextTime - sequencerTime
      let worst = 0;
      let lastSecond = follower.offset;
      let fastestSlew = 0; // the largest change of the offset over one second
      for (let i = 1; i < 360_000; i++) {
        const t = i / 100;
        follower.observe(card.read(t) - t, t);
        if (i % 100 === 0) {
          fastestSlew = Math.max(fastestSlew, Math.abs(follower.offset - lastSecond));
          lastSecond = follower.offset;
        }
        if (t > 30) worst = Math.max(worst, Math.abs(t + follower.offset - card.trueTime(t)));
      }
      // Without following, the drift alone would be |ppm| * 3.6 ms by the end; the lowest reading instead of the highest would be a block off.
      expect(worst).to.be.below(BLOCK / 4);
      expect(fastestSlew)
        .to.be.above(0)
        .and.at.most(ClockFollower.SLEW * 1.05);
    });
  }

  it('re-anchors at once when the sound card clock jumps either way (a device that skipped or lost time)', () => {
    const follower = new ClockFollower();
    follower.anchor(1, 0);
    for (let t = 0.25; t <= 2; t += 0.25) follower.observe(1, t);
    expect(follower.offset).to.equal(1);
    follower.observe(1.4, 2.25);
    expect(follower.offset).to.equal(1.4);
    for (let t = 2.5; t <= 3; t += 0.25) follower.observe(1.4, t);
    follower.observe(1.0, 3.25); // back down: the higher readings of the last seconds must not hide it
    expect(follower.offset).to.equal(1.0);
    for (let t = 3.5; t <= 8; t += 0.25) follower.observe(1.0, t);
    expect(follower.offset).to.equal(1.0);
  });

  it('moves by at most the slew for one reading that comes out 30 ms high', () => {
    const follower = new ClockFollower();
    follower.anchor(1, 0);
    follower.observe(1.03, 0.25);
    let highest = follower.offset;
    for (let t = 0.5; t <= 20; t += 0.25) {
      follower.observe(1, t);
      highest = Math.max(highest, follower.offset);
    }
    // It is the highest reading for 4 s: the offset creeps toward it at 0.5 ms/s, then back.
    expect(highest - 1)
      .to.be.above(0)
      .and.at.most(ClockFollower.SLEW * 4.25 + 1e-12);
    expect(follower.offset).to.be.closeTo(1, 1e-12);
  });

  it('schedules hits on the drifted sound card clock, not on the clock of the start', async () => {
    const kit = await SampledKit.render(RATE);
    const ctx = new FakeContext();
    const clock = new OfflineClock(0);
    const card = soundCard(100, 0.5);
    const audio = new AudioOut({ context: ctx as unknown as BaseAudioContext, clock, kit });
    const at = (t: number) => {
      clock.advanceTo(t);
      ctx.currentTime = card.read(t);
    };
    at(0);
    audio.handle({ type: 'start', time: 0, position: 0 });
    // 20 minutes of 16ths at 120 BPM, each handled 100 ms before it is due.
    for (let t = 0.125; t < 1200; t += 0.125) {
      at(t - 0.1);
      audio.handle({ type: 'note', time: t, drum: 0, velocity: 0.8, step: 0, offset: 0, position: 0 });
    }
    const lastDue = card.trueTime(ctx.starts.length * 0.125);
    const lastStart = ctx.starts[ctx.starts.length - 1];
    // 100 ppm over 20 minutes is 120 ms; followed, the hit lands within a block of where the card's clock puts it.
    expect(Math.abs(lastStart - lastDue)).to.be.below(BLOCK / 4);
    expect(audio.dropped + audio.late).to.equal(0);
  });

  it('PLAY after a stop keeps the settled offset: one reading, low by up to a block, would play a block early for half a minute', () => {
    const card = soundCard(0, 3.7);
    const follower = new ClockFollower();
    follower.resume(card.read(0), 0);
    for (let i = 1; i <= 3000; i++) follower.observe(card.read(i / 100) - i / 100, i / 100); // 30 s of play
    const settled = follower.offset;
    expect(Math.abs(settled - 3.7), 'settled on the card').to.be.below(BLOCK / 4);
    // Stopped for 20 s, then PLAY: the first reading comes at the worst moment of a block.
    const t = 50 + BLOCK * 0.99;
    follower.resume(card.read(t) - t, t);
    expect(follower.offset, 'not anchored on the low reading').to.equal(settled);
    // A card that gained or lost time while stopped is taken at once.
    follower.resume(3.7 + 0.01, 60);
    expect(follower.offset).to.be.closeTo(3.71, 1e-12);
    follower.resume(3.7 - 0.2, 70);
    expect(follower.offset).to.be.closeTo(3.5, 1e-12);
  });

  it('does not follow a context whose clock stands still (suspended), and re-anchors when it runs again', async () => {
    const kit = await SampledKit.render(RATE);
    const ctx = new FakeContext();
    const clock = new OfflineClock(0);
    const audio = new AudioOut({ context: ctx as unknown as BaseAudioContext, clock, kit });
    ctx.currentTime = 2;
    audio.handle({ type: 'start', time: 0, position: 0 });
    for (let t = 0.25; t <= 10; t += 0.25) {
      clock.advanceTo(t);
      audio.handle({ type: 'pulse', time: t, pulse: 0 });
    }
    expect(audio.toContextTime(10)).to.equal(12); // frozen readings were ignored, not taken for a clock falling behind
    ctx.currentTime = 30; // running again, 20 s further on
    clock.advanceTo(10.25);
    audio.handle({ type: 'note', time: 10.35, drum: 0, velocity: 0.8, step: 0, offset: 0, position: 0 });
    expect(ctx.starts[ctx.starts.length - 1]).to.be.closeTo(30.1, 1e-9);
  });
});
