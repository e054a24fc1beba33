import { expect } from 'chai';
import {
  DEFAULT_OUTPUT_PITCHES,
  DRUM_COUNT,
  DRUM_PITCHES,
  DRUMS,
  drumIndexOfName,
  drumIndexOfPitch,
} from '../firmware-ts/pattern/drums.js';
import { Pattern } from '../firmware-ts/pattern/pattern.js';
import {
  FEATURES,
  PATTERN_TENSOR_SIZE,
  fromMagentaOffset,
  patternToTensorData,
  tensorDataToPattern,
  toMagentaOffset,
} from '../firmware-ts/pattern/tensor-layout.js';
import { quantizeWindow } from '../firmware-ts/midi-file/windows.js';
import type { TimedNote } from '../firmware-ts/midi-file/performance.js';

function samplePattern(): Pattern {
  return new Pattern()
    .set(0, 0, 1, 0)
    .set(0, 2, 0.5, 0.25)
    .set(4, 1, 0.75, -0.5)
    .set(17, 8, 0.125, 1)
    .set(31, 4, 0.25, -1);
}

describe('pattern: tensor layout', () => {
  it('is 32 steps x [hits x 9, velocities x 9, offsets x 9]', () => {
    expect(FEATURES).to.equal(27);
    expect(PATTERN_TENSOR_SIZE).to.equal(32 * 27);
    const data = patternToTensorData(samplePattern());
    // step 4, snare (drum 1): hit at 4*27+1, velocity at +9, offset at +18
    expect(data[4 * 27 + 1]).to.equal(1);
    expect(data[4 * 27 + 9 + 1]).to.equal(0.75);
    expect(data[4 * 27 + 18 + 1]).to.equal(-0.5);
    expect(data[4 * 27 + 0]).to.equal(0);
  });

  it('round-trips pattern -> tensor -> pattern exactly', () => {
    const p = samplePattern();
    const back = tensorDataToPattern(patternToTensorData(p));
    expect(Array.from(back.hits)).to.deep.equal(Array.from(p.hits));
    expect(Array.from(back.velocities)).to.deep.equal(Array.from(p.velocities));
    expect(Array.from(back.offsets)).to.deep.equal(Array.from(p.offsets));
  });

  it('writes and reads at an offset inside a batch buffer', () => {
    const buffer = new Float32Array(3 * PATTERN_TENSOR_SIZE).fill(7);
    patternToTensorData(samplePattern(), buffer, PATTERN_TENSOR_SIZE);
    expect(buffer[0]).to.equal(7);
    expect(buffer[2 * PATTERN_TENSOR_SIZE]).to.equal(7);
    expect(tensorDataToPattern(buffer, PATTERN_TENSOR_SIZE).toJSON()).to.deep.equal(samplePattern().toJSON());
  });

  it('thresholds hit probabilities and clamps decoded velocities and offsets', () => {
    const data = new Float32Array(PATTERN_TENSOR_SIZE);
    data[3 * FEATURES + 5] = 0.6; // midTom, step 3: a hit
    data[3 * FEATURES + 9 + 5] = 1.4;
    data[3 * FEATURES + 18 + 5] = -2;
    data[6 * FEATURES + 0] = 0.4; // below 0.5: no hit
    const p = tensorDataToPattern(data);
    expect(p.toJSON().notes).to.deep.equal([[3, 5, 1, -1]]);
  });

  it('converts to and from the Magenta sign explicitly (ours: late is positive)', () => {
    // A note played behind the beat: positive for us, negative in Magenta's tensors.
    expect(toMagentaOffset(0.3)).to.equal(-0.3);
    expect(fromMagentaOffset(-0.3)).to.equal(0.3);
    for (const x of [-1, -0.25, 0, 0.5, 1]) expect(fromMagentaOffset(toMagentaOffset(x))).to.equal(x);
  });

  it('round-trips through JSON, and names the bad note in errors', () => {
    const p = samplePattern();
    expect(Pattern.fromJSON(JSON.parse(JSON.stringify(p))).toJSON()).to.deep.equal(p.toJSON());
    expect(() => Pattern.fromJSON({ notes: [[40, 0, 1, 0]] }, 'slot 3')).to.throw(
      RangeError,
      'slot 3.notes[0]: step 40 is outside 0..31',
    );
    expect(() => Pattern.fromJSON({ notes: [[1, 2, 'loud', 0]] }, 'slot 3')).to.throw(TypeError, 'slot 3.notes[0]');
  });
});

describe('pattern: drum map', () => {
  it('maps every listed pitch to its class and nothing else', () => {
    const listed = new Set<number>();
    DRUMS.forEach((name, drum) => {
      for (const pitch of DRUM_PITCHES[name]) {
        expect(drumIndexOfPitch(pitch), `pitch ${pitch}`).to.equal(drum);
        listed.add(pitch);
      }
    });
    expect(listed.size).to.equal(22);
    for (let pitch = 0; pitch < 128; pitch++)
      if (!listed.has(pitch)) expect(drumIndexOfPitch(pitch), `pitch ${pitch}`).to.equal(-1);
  });

  it('quantizes every listed pitch into its drum row', () => {
    const step = 2 / 16; // 120 bpm
    DRUMS.forEach((name, drum) => {
      DRUM_PITCHES[name].forEach((pitch, k) => {
        const note: TimedNote = { time: k * step, end: k * step + 0.05, pitch, velocity: 100, channel: 9 };
        const p = quantizeWindow([note], 0, 2);
        expect(p.hit(k, drum), `${name} pitch ${pitch}`).to.equal(true);
        expect(p.hitCount()).to.equal(1);
      });
    });
  });

  it('keeps the loudest of several notes of one class in one step, with its offset', () => {
    const step = 2 / 16;
    const notes: TimedNote[] = [
      { time: 4 * step - 0.01, end: 1, pitch: 42, velocity: 60, channel: 9 },
      { time: 4 * step + 0.02, end: 1, pitch: 44, velocity: 110, channel: 9 }, // loudest: pedal hat
      { time: 4 * step + 0.03, end: 1, pitch: 22, velocity: 90, channel: 9 },
    ];
    const p = quantizeWindow(notes, 0, 2);
    expect(p.hitCount()).to.equal(1);
    expect(p.velocity(4, 2)).to.be.closeTo(110 / 127, 1e-6);
    expect(p.offset(4, 2)).to.be.closeTo(0.02 / (step / 2), 1e-6);
  });

  it('has nine default output pitches that are General MIDI drum notes', () => {
    expect(DEFAULT_OUTPUT_PITCHES).to.have.length(DRUM_COUNT);
    for (const pitch of DEFAULT_OUTPUT_PITCHES) expect(pitch).to.be.within(35, 81);
  });

  it('resolves drum names and aliases', () => {
    expect(drumIndexOfName('Kick')).to.equal(0);
    expect(drumIndexOfName('hi-hat')).to.equal(2);
    expect(drumIndexOfName('open_hihat')).to.equal(3);
    expect(drumIndexOfName('cowbell')).to.equal(-1);
  });
});
