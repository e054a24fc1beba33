import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { ArecordInput, type Spawn } from '../firmware-ts/devices/microphone/arecord-input.js';
import {
  AudioOnsetDetector,
  detectOnsets,
  type AudioOnset,
} from '../firmware-ts/devices/microphone/audio-onset-detector.js';
import { FakeAudioInput } from '../firmware-ts/devices/microphone/fake-audio-input.js';
import { MicrophoneTapPad } from '../firmware-ts/devices/microphone/microphone-tap-pad.js';
import { SampleTimeline } from '../firmware-ts/devices/microphone/sample-timeline.js';
import {
  renderTaps,
  roomNoise,
  type SyntheticTap,
  type TapSound,
} from '../firmware-ts/devices/microphone/synthetic-taps.js';
import type { TapHit } from '../firmware-ts/devices/interfaces.js';
import { silentLog } from '../firmware-ts/support/log.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';

const RATE = 48000;

const taps = (times: number[], sound: TapSound = 'click', amplitude = 0.5): SyntheticTap[] =>
  times.map((time) => ({ time, amplitude, sound }));

function detect(audio: Float32Array, options = {}, block = 128): AudioOnset[] {
  return detectOnsets(audio, { sampleRate: RATE, ...options }, block);
}

describe('devices: microphone onset detector', () => {
  for (const sound of ['click', 'clap', 'knock'] as const) {
    it(`finds a ${sound} at a known time within 5 ms, once`, () => {
      const onsets = detect(renderTaps(taps([0.3137], sound), 0.8, RATE));
      expect(onsets).to.have.length(1);
      expect(onsets[0].time).to.be.closeTo(0.3137, 0.005);
    });
  }

  it('hears nothing in silence, and nothing in steady room noise', () => {
    expect(detect(new Float32Array(RATE))).to.deep.equal([]);
    const noise = roomNoise(2 * RATE, 0.02, 5);
    // The noise starts from the silence assumed before the first sample: at most that one start, never in its middle.
    expect(detect(noise).filter((o) => o.time > 0.05)).to.deep.equal([]);
  });

  it('finds both strokes of a double hit 30 ms apart', () => {
    const onsets = detect(renderTaps(taps([0.4, 0.43]), 1, RATE));
    expect(onsets.map((o) => Math.round(o.time * 1000))).to.have.length(2);
    expect(onsets[0].time).to.be.closeTo(0.4, 0.005);
    expect(onsets[1].time).to.be.closeTo(0.43, 0.005);
  });

  it('takes velocity from the level: louder is higher, within 0..1', () => {
    const amplitudes = [0.05, 0.15, 0.4, 0.9];
    const audio = renderTaps(
      amplitudes.map((amplitude, k) => ({ time: 0.3 + 0.3 * k, amplitude, sound: 'clap' as const })),
      1.6,
      RATE,
    );
    const v = detect(audio).map((o) => o.velocity);
    expect(v).to.have.length(4);
    for (let k = 1; k < 4; k++) expect(v[k], `velocities ${v.join(' ')}`).to.be.greaterThan(v[k - 1]);
    expect(v[0]).to.be.at.least(0.05);
    expect(v[3]).to.be.at.most(1);
  });

  it('sensitivity sets the quietest tap heard', () => {
    const quiet = renderTaps(taps([0.3], 'knock', 0.0015), 0.6, RATE);
    expect(detect(quiet, { sensitivity: 0 })).to.have.length(0);
    expect(detect(quiet, { sensitivity: 1 })).to.have.length(1);
  });

  it('subtracts the input latency and gives the same onsets whatever the block size', () => {
    const audio = renderTaps(taps([0.2, 0.55, 0.9], 'clap'), 1.2, RATE);
    const base = detect(audio, {}, 128).map((o) => o.time);
    const large = detect(audio, {}, 1000).map((o) => o.time);
    expect(large).to.have.length(base.length);
    large.forEach((t, k) => expect(t).to.be.closeTo(base[k], 1e-9));
    const late = detect(audio, { inputLatency: 0.012 }, 128).map((o) => o.time);
    late.forEach((t, k) => expect(t).to.be.closeTo(base[k] - 0.012, 1e-9));
  });

  it('knows of an onset within 20 ms of the sound at 128-sample blocks', () => {
    for (const onset of detect(renderTaps(taps([0.2, 0.55, 0.9], 'clap'), 1.2, RATE)))
      expect(onset.knownAt - onset.time).to.be.within(0, 0.02);
  });

  it('stamps onsets on the clock of the blocks it is given', () => {
    const detector = new AudioOnsetDetector({ sampleRate: RATE });
    const audio = renderTaps(taps([0.25]), 0.5, RATE);
    const found: AudioOnset[] = [];
    for (let i = 0; i < audio.length; i += 256)
      found.push(...detector.push(audio.subarray(i, i + 256), 1000 + i / RATE));
    expect(found).to.have.length(1);
    expect(found[0].time).to.be.closeTo(1000.25, 0.005);
  });

  it('refuses bad options with a line naming the option', () => {
    expect(() => new AudioOnsetDetector({ sampleRate: RATE, sensitivity: 2 })).to.throw(
      RangeError,
      'microphone sensitivity: expected a number 0..1, got 2',
    );
    expect(() => new AudioOnsetDetector({ sampleRate: 100 })).to.throw(RangeError, /sampleRate/);
  });
});

describe('devices: microphone tap pad on a fake sound card', () => {
  it('delivers strokes in the TapHit shape, stamped at the sound, on the box clock', () => {
    const clock = new OfflineClock(50);
    const input = new FakeAudioInput({ clock, sampleRate: RATE, blockSize: 128 });
    const pad = new MicrophoneTapPad({ input, log: silentLog });
    const hits: { hit: TapHit; at: number }[] = [];
    pad.onHit((hit) => hits.push({ hit, at: clock.now() }));
    input.play(renderTaps(taps([0.1, 0.5], 'clap'), 0.8, RATE));
    input.start();
    clock.advance(1);
    expect(hits).to.have.length(2);
    // The first block holds what was captured during the first period after start (at 50).
    expect(hits[0].hit.time).to.be.closeTo(50.1, 0.005);
    expect(hits[1].hit.time).to.be.closeTo(50.5, 0.005);
    for (const { hit, at } of hits) expect(at - hit.time).to.be.within(0, 0.02);
    expect(Object.keys(hits[0].hit).sort()).to.deep.equal(['time', 'velocity']);
    expect(pad.meter().peak).to.be.below(-60); // silence after the taps
  });

  it('says so once when the microphone is pulled, and stays closed after close', async () => {
    const clock = new OfflineClock();
    const input = new FakeAudioInput({ clock, sampleRate: RATE });
    const warnings: string[] = [];
    const pad = new MicrophoneTapPad({ input, log: { ...silentLog, warn: (m) => warnings.push(m) } });
    input.start();
    clock.advance(0.1);
    expect(pad.trouble()).to.equal(null);
    input.unplug('USB device removed');
    expect(pad.trouble()).to.match(/USB device removed/);
    expect(warnings).to.have.length(1);
    const delivered = input.blocksDelivered;
    clock.advance(0.1);
    expect(input.blocksDelivered).to.equal(delivered);
    await pad.close();
    expect(() => input.play(new Float32Array(4))).to.throw(/after close/);
  });
});

/** A child process as a test instrument: stdout/stderr streams and exit/error events. */
class FakeArecord extends EventEmitter {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  args: readonly string[] = [];
  killed = false;
  kill(): boolean {
    this.killed = true;
    return true;
  }
}

function fakeSpawn(): { spawn: Spawn; process: FakeArecord } {
  const process = new FakeArecord();
  return {
    process,
    spawn: (_command, args) => {
      process.args = args;
      return process as unknown as ReturnType<Spawn>;
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('devices: arecord capture driver (fake process)', () => {
  it('decodes 16-bit PCM split at any byte and stamps blocks at capture', async () => {
    const clock = new OfflineClock(10);
    const { spawn, process } = fakeSpawn();
    const opening = ArecordInput.open({ clock, spawn, sampleRate: 8000, periodSize: 4, device: 'hw:1,0' });
    expect(process.args).to.include.members(['-D', 'hw:1,0', '-r', '8000', '--period-size=4', '-f', 'S16_LE']);
    const pcm = Buffer.alloc(8);
    [0, 16384, -32768, 32767].forEach((v, i) => pcm.writeInt16LE(v, 2 * i));
    clock.advance(0.0005);
    process.stdout.write(pcm.subarray(0, 3));
    const input = await opening;
    const blocks: { samples: number[]; time: number }[] = [];
    input.onBlock((b) => blocks.push({ samples: Array.from(b.samples), time: b.time }));
    clock.advance(0.0005);
    process.stdout.write(pcm.subarray(3));
    await tick();
    expect(blocks.flatMap((b) => b.samples)).to.deep.equal([16384 / 32768, -1, 32767 / 32768]);
    // The first arrival (one sample, at 10.0005) was the earlier-looking one: sample 0 at 10.000375, so the block from sample 1 at 10.0005.
    expect(blocks[0].time).to.be.closeTo(10.0005, 1e-9);
    await input.close();
    expect(process.killed).to.equal(true);
  });

  it("no input: one line from arecord, without ALSA's configuration chatter", async () => {
    const clock = new OfflineClock();
    const { spawn, process } = fakeSpawn();
    const opening = ArecordInput.open({ clock, spawn });
    process.stderr.write(
      "ALSA lib confmisc.c:855:(parse_card) cannot find card '0'\narecord: main:831: audio open error: No such file or directory\n",
    );
    await tick();
    process.emit('exit', 1, null);
    const error = await opening.then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.name).to.equal('DeviceMissingError');
    expect(error?.message).to.equal(
      'microphone default not available: arecord: main:831: audio open error: No such file or directory',
    );
  });

  it('no arecord installed: names the package', async () => {
    const { spawn, process } = fakeSpawn();
    const opening = ArecordInput.open({ clock: new OfflineClock(), spawn });
    process.emit('error', Object.assign(new Error('spawn arecord ENOENT'), { code: 'ENOENT' }));
    const error = await opening.then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).to.match(/arecord not found \(install the Debian package alsa-utils\)/);
  });

  it('a card that never delivers is missing after the open timeout', async () => {
    const clock = new OfflineClock();
    const { spawn, process } = fakeSpawn();
    const opening = ArecordInput.open({ clock, spawn, openTimeout: 1 });
    clock.advance(1);
    const error = await opening.then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).to.match(/no samples from arecord within 1 s/);
    expect(process.killed).to.equal(true);
  });

  it('ends with the reason when arecord dies mid-capture', async () => {
    const clock = new OfflineClock();
    const { spawn, process } = fakeSpawn();
    const opening = ArecordInput.open({ clock, spawn });
    process.stdout.write(Buffer.alloc(64));
    const input = await opening;
    const ends: string[] = [];
    input.onEnd((e) => ends.push(e.message));
    process.stderr.write('arecord: pcm_read:2221: read error: No such device\n');
    await tick();
    process.emit('exit', 1, null);
    expect(ends).to.deep.equal(['microphone default: arecord: pcm_read:2221: read error: No such device']);
    expect(input.trouble()).to.match(/read error/);
  });
});

describe('devices: sample timeline', () => {
  it('ignores late deliveries and follows the earliest', () => {
    const timeline = new SampleTimeline(1000, 2);
    // 10-sample blocks captured every 10 ms from t = 5; deliveries late by 0..4 ms.
    const lateness = [3, 0, 4, 1, 2, 0, 4, 3];
    const times = lateness.map((late, k) => timeline.add(10, 5 + (k + 1) * 0.01 + late / 1000));
    // From the first on-time block (the second) every time is exact.
    times.slice(1).forEach((t, k) => expect(t).to.be.closeTo(5 + (k + 1) * 0.01, 1e-9));
  });
});
