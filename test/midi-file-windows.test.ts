import { expect } from 'chai';
import type { Performance, TimedNote } from '../firmware-ts/midi-file/performance.js';
import { barCount, barSeconds, windowCount, windows } from '../firmware-ts/midi-file/windows.js';

const note = (time: number, pitch = 38): TimedNote => ({ time, end: time + 0.05, pitch, velocity: 100, channel: 9 });
const perf = (notes: TimedNote[], endTime: number): Performance => ({
  notes,
  timeSignatures: [],
  bpm: 120,
  tempos: [{ time: 0, bpm: 120 }],
  endTime,
  trackEndTime: 0,
});

describe('midi-file: windows (the TFDS groove/2bar rule)', () => {
  it('counts bars as round(pretty_midi end time / bar) with bar = 60/bpm x numerator, and bars - 1 windows', () => {
    expect(barSeconds(120, 4)).to.equal(2);
    expect(barSeconds(100, 3)).to.be.closeTo(1.8, 1e-12);
    expect(barCount(perf([], 6.99), 2)).to.equal(3);
    expect(barCount(perf([], 7.01), 2)).to.equal(4);
    expect(windowCount(4)).to.equal(3);
    expect(windowCount(1)).to.equal(0);
  });

  it('tells a window where no note starts (TFDS "empty") from one whose pattern has no hit', () => {
    // 3 bars at 120 BPM: windows at 0 s and 2 s.
    //  window 0 (0..4 s): only a piano note (not a kit pitch) -> holds a note, pattern empty
    //  window 1 (2..6 s): a snare 10 ms before its first downbeat -> no note starts inside,
    //  yet our window, reaching half a step early, keeps it on step 0.
    const w = [...windows(perf([note(1, 60), note(1.99)], 6), 120)];
    expect(w).to.have.length(2);
    expect([w[0].holdsNotes, w[0].pattern.isEmpty()]).to.deep.equal([true, false]);
    expect(w[0].pattern.hit(16, 1)).to.equal(true); // 1.99 s is bar 2's downbeat of window 0
    expect([w[1].holdsNotes, w[1].pattern.isEmpty()]).to.deep.equal([false, false]);
    expect(w[1].pattern.hit(0, 1)).to.equal(true);
    expect(w[1].pattern.offset(0, 1)).to.be.closeTo(-0.16, 1e-6);

    const pianoOnly = [...windows(perf([note(1, 60)], 4), 120)];
    expect([pianoOnly[0].holdsNotes, pianoOnly[0].pattern.isEmpty()]).to.deep.equal([true, true]);
  });
});
