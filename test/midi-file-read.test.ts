import { expect } from 'chai';
import { MidiFileError } from '../firmware-ts/midi-file/errors.js';
import { readPerformance } from '../firmware-ts/midi-file/performance.js';
import { readPatterns } from '../firmware-ts/midi-file/read.js';
import { fixture } from './helpers/fixtures.js';
import { inWorker } from './helpers/watchdog.js';

const KICK = 0,
  SNARE = 1,
  HAT = 2,
  CRASH = 7,
  RIDE = 8;

/** The error a call throws (fails the test when it does not throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('midi-file: reading', () => {
  it('reads groove.mid into the hand-computed pattern (drums from any channel, loudest per class)', () => {
    const patterns = readPatterns(fixture('groove.mid'), 'groove.mid');
    expect(patterns).to.have.length(1);
    const got = patterns[0].toJSON().notes;
    // [step, drum, velocity, offset]; offsets in half-steps of 60 ticks (480 ppq)
    const want: [number, number, number, number][] = [
      [0, KICK, 100 / 127, 0],
      [0, HAT, 80 / 127, 24 / 60],
      [4, SNARE, 110 / 127, 24 / 60],
      [8, SNARE, 120 / 127, 0],
      [12, KICK, 64 / 127, -12 / 60],
      [16, CRASH, 1, -6 / 60],
      [31, RIDE, 50 / 127, 36 / 60],
    ];
    expect(got.map(([s, d]) => [s, d])).to.deep.equal(want.map(([s, d]) => [s, d]));
    got.forEach(([, , v, o], k) => {
      expect(v, `velocity of note ${k}`).to.be.closeTo(want[k][2], 1e-4);
      expect(o, `offset of note ${k}`).to.be.closeTo(want[k][3], 1e-4);
    });
  });

  it('computes the pretty_midi end time and keeps the end-of-track time apart', () => {
    const perf = readPerformance(fixture('groove.mid'), 'groove.mid');
    const tick = 0.5 / 480;
    expect(perf.bpm).to.equal(120);
    expect(perf.endTime).to.be.closeTo((31 * 120 + 36 + 30) * tick, 1e-9); // the ride's note-off
    expect(perf.trackEndTime).to.be.closeTo(3840 * tick, 1e-9);
    expect(perf.timeSignatures).to.deep.equal([{ time: 0, numerator: 4, denominator: 4 }]);
  });

  it('follows a tempo change: times in seconds and the grid in beats', () => {
    const perf = readPerformance(fixture('tempo-change.mid'), 'tempo-change.mid');
    expect(perf.tempos).to.deep.equal([
      { time: 0, bpm: 120 },
      { time: 2, bpm: 60 },
    ]);
    const kicks = perf.notes.filter((n) => n.pitch === 36).map((n) => n.time);
    // Bar 1 at 120 bpm (0.5 s a beat), then 1 s a beat.
    expect(kicks.slice(0, 6)).to.deep.equal([0, 0.5, 1, 1.5, 2, 3]);
    const snare = perf.notes.find((n) => n.pitch === 38)!;
    expect(snare.time).to.be.closeTo(2 + 4 + 1 + 30 / 480, 1e-9);

    const patterns = readPatterns(fixture('tempo-change.mid'), 'tempo-change.mid');
    expect(patterns).to.have.length(2);
    for (const p of patterns) {
      const kicksAt = p.toJSON().notes.filter(([, d]) => d === KICK);
      expect(kicksAt.map(([s]) => s)).to.deep.equal([0, 4, 8, 12, 16, 20, 24, 28]);
      for (const [, , , offset] of kicksAt) expect(offset).to.be.closeTo(0, 1e-9);
    }
    // A 64th late is half of a half-step at any tempo: offset +0.5 on beat 2 of bar 3.
    expect(patterns[1].hit(4, SNARE)).to.equal(true);
    expect(patterns[1].offset(4, SNARE)).to.be.closeTo(0.5, 1e-6);
  });

  it('gives the overlapping dataset windows with hopBars 1', () => {
    const patterns = readPatterns(fixture('tempo-change.mid'), 'tempo-change.mid', { hopBars: 1 });
    expect(patterns).to.have.length(3);
    expect(patterns[1].hit(20, SNARE)).to.equal(true);
  });

  describe('bad input: one line naming the file and the cause', () => {
    const cases: [string, () => Uint8Array, RegExp][] = [
      ['an empty file', () => new Uint8Array(0), /^empty\.mid: not a MIDI file \(only 0 bytes\)$/],
      [
        'a text file',
        () => new TextEncoder().encode('drummer,id,style,bpm\n1,2,3,4\n'),
        /^notes\.mid: corrupt MIDI file \(expected the "MThd" header/,
      ],
      [
        'a truncated file',
        () => fixture('groove.mid').slice(0, 60),
        /^cut\.mid: corrupt MIDI file \(track \d chunk length \d+ runs past the end of the file \(60 bytes\)\)$/,
      ],
      [
        'no drum notes',
        () => fixture('no-drums.mid'),
        /^no-drums\.mid: no drum notes \(4 notes, none on a kit pitch 22 26 36 /,
      ],
      [
        'a 3/4 file',
        () => fixture('three-four.mid'),
        /^three-four\.mid: time signature 3\/4 at 0\.00 s: only 4\/4 files can be read as patterns$/,
      ],
    ];
    const names = ['empty.mid', 'notes.mid', 'cut.mid', 'no-drums.mid', 'three-four.mid'];
    cases.forEach(([what, bytes, message], k) => {
      it(what, () => {
        const err = thrown(() => readPatterns(bytes(), names[k]));
        expect(err).to.be.instanceOf(MidiFileError);
        expect(err.message).to.match(message);
        expect(err.message).not.to.include('\n');
        expect((err as MidiFileError).file).to.equal(names[k]);
      });
    });

    it('a corrupt event inside a track', () => {
      const bytes = fixture('groove.mid');
      // The first event of track 2 starts at byte 14 + 8 + track-1 length + 8 + its delta time.
      const track1 = (bytes[18] << 24) | (bytes[19] << 16) | (bytes[20] << 8) | bytes[21];
      const firstStatus = 14 + 8 + track1 + 8 + 1;
      bytes[firstStatus] = 0xf4; // an undefined system status
      const err = thrown(() => readPerformance(bytes, 'bad.mid'));
      expect(err).to.be.instanceOf(MidiFileError);
      expect(err.message).to.equal(
        `bad.mid: corrupt MIDI file (track 1: unknown status byte 0xf4 at byte ${firstStatus})`,
      );
    });

    it('a meta length the library would loop on for ever (5-byte varint wrapping to -8)', async function () {
      this.timeout(40_000);
      // midi-file 1.2.4 shifts varints in 32 bits: 8f ff ff ff 78 is -8, which sends it
      // back to the start of the event, again and again. Our structure check refuses it.
      const track = [0x00, 0xff, 0x01, 0x8f, 0xff, 0xff, 0xff, 0x78, 0x41, 0x42];
      const bytes = Uint8Array.from([
        0x4d,
        0x54,
        0x68,
        0x64,
        0,
        0,
        0,
        6,
        0,
        0,
        0,
        1,
        0,
        96,
        0x4d,
        0x54,
        0x72,
        0x6b,
        0,
        0,
        0,
        track.length,
        ...track,
      ]);
      // In a worker, so that a regression fails this test instead of hanging the run.
      const result = await inWorker<{ errorName?: string; message?: string }>({ bytes, name: 'loop.mid' }, 30);
      expect(result).to.deep.equal({
        errorName: 'MidiFileError',
        message: 'loop.mid: corrupt MIDI file (track 0: meta/sysex length at byte 25 is longer than 4 bytes)',
      });
    });

    it('a file too short for one pattern', () => {
      const bytes = fixture('groove.mid');
      // Same events, but a 960-tick quarter: the 2 bars shrink to 1.
      bytes[12] = 0x03;
      bytes[13] = 0xc0;
      const err = thrown(() => readPatterns(bytes, 'short.mid'));
      expect(err.message).to.equal('short.mid: 1 bar long: a pattern needs 2 bars of 4/4');
    });
  });
});
