import { expect } from 'chai';
import { renderTaps, seededRandom, tapRhythm } from '../firmware-ts/devices/microphone/synthetic-taps.js';
import { meterFill, PageMicrophoneTaps, type PageTapMessage } from '../firmware-ts/panel/page/page-microphone.js';
import { METER_FLOOR_DB } from '../firmware-ts/panel/protocol.js';

const RATE = 48000;

describe("panel: this browser's microphone (the page's detector, without the audio plumbing)", () => {
  it('sends a tap per knock, clap or click, at the page time it sounded, though the blocks reach the page late and unevenly', () => {
    // The page's clock at the recording's first sample; its blocks arrive 3..40 ms after their last sample.
    const origin = 12.5;
    const latency = 0.01;
    const played = tapRhythm({ bpm: 100, bars: 2, sound: 'mixed', seed: 7, lead: 0.4 });
    // Each tap reaches the detector `latency` after it sounded: the browser's input path.
    const audio = renderTaps(
      played.map((t) => ({ ...t, time: t.time + latency })),
      played[played.length - 1].time + 1,
      RATE,
    );
    const sent: PageTapMessage[] = [];
    const taps = new PageMicrophoneTaps({ sampleRate: RATE, sensitivity: 0.5, latency, send: (m) => sent.push(m) });
    const random = seededRandom(3);
    for (let i = 0; i < audio.length; i += 256) {
      const block = audio.slice(i, i + 256);
      const late = 0.003 + (random() < 0.1 ? 0.037 * random() : 0.002 * random());
      taps.block(block, (origin + (i + block.length) / RATE + late) * 1000);
    }
    expect(sent).to.have.length(played.length);
    sent.forEach((m, k) => {
      expect(m.type).to.equal('tap');
      expect(m.velocity).to.be.within(0, 1);
      // Within 5 ms of when it sounded, on the page's clock: neither the lateness nor the latency is passed on.
      expect(m.time / 1000 - (origin + played[k].time)).to.be.within(-0.005, 0.005);
    });
    expect(taps.takePeak()).to.be.within(-12, 0); // the loudest tap since the meter was last read
    taps.block(new Float32Array(256), (origin + audio.length / RATE + 0.01) * 1000);
    expect(taps.takePeak()).to.equal(METER_FLOOR_DB);
  });

  it('the sensitivity slider changes the detector live; the meter holds the loudest peak until read', () => {
    const sent: PageTapMessage[] = [];
    const taps = new PageMicrophoneTaps({ sampleRate: RATE, sensitivity: 0, latency: 0, send: (m) => sent.push(m) });
    // A knock peaking at -56 dBFS: too quiet at sensitivity 0 (the gate at -45 dBFS), heard at 1 (-75 dBFS).
    const quiet = renderTaps([{ time: 0.1, amplitude: 0.0015, sound: 'knock' }], 0.4, RATE);
    taps.block(quiet, 1000);
    expect(sent).to.have.length(0);
    expect(taps.takePeak()).to.be.within(-58, -55);
    expect(taps.takePeak()).to.equal(METER_FLOOR_DB);
    taps.setSensitivity(1);
    expect(taps.sensitivity).to.equal(1);
    taps.block(quiet, 1400);
    expect(sent).to.have.length(1);
    expect(meterFill(0)).to.equal(1);
    expect(meterFill(METER_FLOOR_DB)).to.equal(0);
    expect(meterFill(-45)).to.equal(0.5);
  });
});
