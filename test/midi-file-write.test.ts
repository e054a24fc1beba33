import { expect } from 'chai';
import midiFile from 'midi-file';
import { DEFAULT_OUTPUT_PITCHES, DRUM_COUNT } from '../firmware-ts/pattern/drums.js';
import { Pattern, STEPS } from '../firmware-ts/pattern/pattern.js';
import { readPerformance } from '../firmware-ts/midi-file/performance.js';
import { readPatterns } from '../firmware-ts/midi-file/read.js';
import { ROUND_TRIP_PITCHES, patternsToMidi, stepSeconds } from '../firmware-ts/midi-file/write.js';
import { prng } from './helpers/fixtures.js';

/** A random pattern; offsets stay off the exact +-1 boundaries, where a step is ambiguous. */
function randomPattern(random: () => number, density = 0.3): Pattern {
  const p = new Pattern();
  for (let step = 0; step < STEPS; step++) {
    for (let drum = 0; drum < DRUM_COUNT; drum++) {
      if (random() < density) p.set(step, drum, random(), (random() * 2 - 1) * 0.98);
    }
  }
  return p;
}

/** Onset in seconds of a pattern's note in a file of `bpm` (half a step = offset 1). */
const onset = (k: number, step: number, offset: number, bpm: number) =>
  stepSeconds(k, step, bpm) + (offset * 15) / bpm / 2;

describe('midi-file: writing', () => {
  for (const bpm of [60, 93, 120, 180]) {
    it(`round-trips 3 random patterns at ${bpm} BPM: timing within 1 ms, velocity within +-1`, () => {
      const random = prng(bpm);
      const patterns = [randomPattern(random), randomPattern(random), randomPattern(random)];
      // MIDI has no negative time: the first step of the file is tested on its own below.
      for (let drum = 0; drum < DRUM_COUNT; drum++)
        if (patterns[0].hit(0, drum))
          patterns[0].set(0, drum, patterns[0].velocity(0, drum), Math.abs(patterns[0].offset(0, drum)));
      const back = readPatterns(patternsToMidi(patterns, { bpm, pitches: ROUND_TRIP_PITCHES }), 'roundtrip.mid');
      expect(back).to.have.length(3);
      let checked = 0;
      patterns.forEach((p, k) => {
        expect(Array.from(back[k].hits), `hits of pattern ${k}`).to.deep.equal(Array.from(p.hits));
        for (let step = 0; step < STEPS; step++) {
          for (let drum = 0; drum < DRUM_COUNT; drum++) {
            if (!p.hit(step, drum)) continue;
            const where = `pattern ${k} step ${step} drum ${drum}`;
            expect(Math.abs(back[k].velocity(step, drum) - p.velocity(step, drum)) * 127, where).to.be.at.most(1);
            const error = Math.abs(
              onset(k, step, back[k].offset(step, drum), bpm) - onset(k, step, p.offset(step, drum), bpm),
            );
            expect(error, where).to.be.below(0.001);
            checked++;
          }
        }
      });
      expect(checked).to.be.above(200);
    });
  }

  it('writes format 0 with a tempo, a 4/4 signature, all notes on channel 10 and the end at the last bar line', () => {
    const p = new Pattern().set(0, 0, 1).set(4, 1, 0.5, 0.5);
    const data = midiFile.parseMidi(patternsToMidi([p, new Pattern()], { bpm: 100 }));
    expect(data.header).to.include({ format: 0, numTracks: 1, ticksPerBeat: 1920 });
    const events = data.tracks[0];
    expect(events.find((e) => e.type === 'setTempo')).to.include({ deltaTime: 0, microsecondsPerBeat: 600000 });
    expect(events.find((e) => e.type === 'timeSignature')).to.include({ numerator: 4, denominator: 4 });
    const notes = events.filter((e) => e.type === 'noteOn' || e.type === 'noteOff');
    expect(notes).to.have.length(4);
    for (const e of notes) expect((e as { channel: number }).channel).to.equal(9);
    const total = events.reduce((t, e) => t + e.deltaTime, 0);
    expect(events.at(-1)!.type).to.equal('endOfTrack');
    expect(total).to.equal(2 * 2 * 4 * 1920); // two 2-bar patterns: the silent second one is kept
  });

  it('writes the default General MIDI pitches, velocity*127 rounded (at least 1), and seconds on the grid', () => {
    const p = new Pattern();
    for (let drum = 0; drum < DRUM_COUNT; drum++) p.set(2 * drum + 1, drum, drum / 8, 0);
    const perf = readPerformance(patternsToMidi(p, { bpm: 120 }), 'gm.mid');
    expect(perf.notes.map((n) => n.pitch)).to.deep.equal([...DEFAULT_OUTPUT_PITCHES]);
    expect(perf.notes.map((n) => n.velocity)).to.deep.equal([1, 16, 32, 48, 64, 79, 95, 111, 127]);
    perf.notes.forEach((n, drum) => expect(n.time).to.be.closeTo(stepSeconds(0, 2 * drum + 1, 120), 1e-9));
  });

  it('puts late notes after the grid and early ones before it', () => {
    const p = new Pattern().set(4, 1, 1, 0.16).set(8, 1, 1, -0.16);
    const [late, early] = readPerformance(patternsToMidi(p, { bpm: 120 }), 'sign.mid').notes;
    expect(late.time - 0.5).to.be.closeTo(0.01, 0.0005); // 0.16 of 62.5 ms = 10 ms late
    expect(early.time - 1).to.be.closeTo(-0.01, 0.0005);
  });

  it('clamps an early note on the very first step to time 0 and keeps later early downbeats', () => {
    const p = new Pattern().set(0, 0, 1, -0.5);
    const back = readPatterns(patternsToMidi([p, p], { bpm: 120 }), 'early.mid');
    expect(back[0].offset(0, 0)).to.equal(0);
    expect(back[1].offset(0, 0)).to.be.closeTo(-0.5, 0.01);
  });

  it('keeps a note at offset +1 in its own step (one tick inside the half-step boundary)', () => {
    const p = new Pattern().set(5, 2, 1, 1).set(9, 2, 1, -1);
    const back = readPatterns(patternsToMidi(p, { bpm: 120, pitches: ROUND_TRIP_PITCHES }), 'edge.mid')[0];
    expect(back.toJSON().notes.map(([s, d]) => [s, d])).to.deep.equal([
      [5, 2],
      [9, 2],
    ]);
    expect(back.offset(5, 2)).to.be.closeTo(1, 0.01);
    expect(back.offset(9, 2)).to.be.closeTo(-1, 0.01);
  });

  it('makes notes noteLength steps long, cut where the same pitch starts again', () => {
    const p = new Pattern().set(0, 1, 1).set(1, 1, 1).set(8, 0, 1);
    const notes = readPerformance(patternsToMidi(p, { bpm: 120, noteLength: 2 }), 'len.mid').notes;
    const step = 0.125;
    expect(notes.map((n) => [n.pitch, n.time, n.end])).to.deep.equal([
      [38, 0, step], // cut at the next snare
      [38, step, 3 * step],
      [36, 8 * step, 10 * step],
    ]);
  });

  it('refuses bad options with the option, what was expected and what it got', () => {
    const p = new Pattern();
    expect(() => patternsToMidi(p, { bpm: 0 })).to.throw(
      RangeError,
      'option bpm: expected a number in (0, 1000], got 0',
    );
    expect(() => patternsToMidi(p, { ticksPerBeat: 100 })).to.throw(
      RangeError,
      'option ticksPerBeat: expected a multiple of 8 in 8..32760, got 100',
    );
    expect(() => patternsToMidi(p, { noteLength: -1 })).to.throw(
      RangeError,
      'option noteLength: expected a number of steps in (0, 32], got -1',
    );
    expect(() => patternsToMidi(p, { pitches: [36, 38] })).to.throw(
      RangeError,
      'option pitches: expected 9 MIDI notes 0..127',
    );
    expect(() => patternsToMidi([])).to.throw(TypeError, 'a non-empty array of Patterns');
  });
});
