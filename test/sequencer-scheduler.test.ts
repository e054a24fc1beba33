import { expect } from 'chai';
import { Pattern } from '../firmware-ts/pattern/pattern.js';
import type { NoteEvent, PulseEvent, SequencerEvent } from '../firmware-ts/sequencer/events.js';
import { Sequencer } from '../firmware-ts/sequencer/sequencer.js';
import { clampTempo, MAX_BPM, MIN_BPM } from '../firmware-ts/sequencer/tempo.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';

const KICK = 0,
  SNARE = 1,
  HAT = 2;

function record(seq: Sequencer, clock: OfflineClock) {
  const events: (SequencerEvent & { emittedAt: number })[] = [];
  seq.on((e) => events.push({ ...e, emittedAt: clock.now() }));
  const notes = () => events.filter((e): e is NoteEvent & { emittedAt: number } => e.type === 'note');
  return { events, notes };
}

/** One drum on every step of the loop, full velocity, on the grid: every 16th played is heard. */
function onEveryStep(drum: number): Pattern {
  const pattern = new Pattern();
  for (let step = 0; step < 32; step++) pattern.set(step, drum, 1, 0);
  return pattern;
}

describe('sequencer: event times', () => {
  it('gives every hit grid time + offset * half a 16th (120 BPM, positive = late)', () => {
    const clock = new OfflineClock(0);
    const p = new Pattern().set(0, KICK, 1, 0).set(4, SNARE, 0.5, 0.5).set(8, HAT, 0.25, -1).set(31, KICK, 1, 1);
    const seq = new Sequencer({ clock, bpm: 120, pattern: p });
    const { notes } = record(seq, clock);
    seq.start(1); // downbeat at t = 1 s; a 16th is 0.125 s, half a 16th 0.0625 s
    clock.advanceTo(4.8); // horizon 4.9 s: cell 31 is scheduled, the next loop (opens 4.9375 s) not yet
    const got = notes().map((n) => [n.step, n.drum, n.time]);
    expect(got).to.have.length(4);
    const expected = [
      [0, KICK, 1],
      [4, SNARE, 1.53125],
      [8, HAT, 1.9375],
      [31, KICK, 1 + 31 * 0.125 + 0.0625],
    ];
    got.forEach(([step, drum, time], i) => {
      expect([step, drum]).to.deep.equal(expected[i].slice(0, 2));
      expect(time).to.be.closeTo(expected[i][2], 1e-9);
    });
    expect(notes()[1].velocity).to.equal(0.5);
    expect(notes()[1].offset).to.equal(0.5);
  });

  it('hands events out ahead of their time, never after, and in time order', () => {
    const clock = new OfflineClock(0);
    const p = new Pattern();
    for (let s = 0; s < 32; s++) p.set(s, s % 9, 0.8, ((s * 37) % 21) / 10 - 1);
    const seq = new Sequencer({ clock, bpm: 180, pattern: p, lookAhead: 0.1, tickInterval: 0.02 });
    const { events } = record(seq, clock);
    seq.start();
    for (let i = 0; i < 500; i++) clock.advance(0.0173);
    expect(events.length).to.be.greaterThan(300);
    for (let i = 1; i < events.length; i++) expect(events[i].time).to.be.at.least(events[i - 1].time - 1e-12);
    for (const e of events) {
      expect(e.emittedAt, `${e.type} at ${e.time}`).to.be.at.most(e.time + 1e-9);
      expect(e.time - e.emittedAt).to.be.below(0.1 + 60 / 180 / 4 + 1e-9);
    }
  });

  it('sends 6 clock pulses per 16th from the downbeat', () => {
    const clock = new OfflineClock(0);
    const seq = new Sequencer({ clock, bpm: 100 });
    const { events } = record(seq, clock);
    seq.start(0.5);
    clock.advanceTo(2);
    const pulses = events.filter((e): e is PulseEvent & { emittedAt: number } => e.type === 'pulse');
    const pulseDur = 60 / 100 / 24;
    expect(pulses[0]).to.include({ pulse: 0 });
    expect(pulses[0].time).to.be.closeTo(0.5, 1e-9);
    pulses.forEach((p, i) => {
      expect(p.pulse).to.equal(i);
      expect(p.time).to.be.closeTo(0.5 + i * pulseDur, 1e-9);
    });
    expect(events[0]).to.include({ type: 'start', position: 0 });
  });
});

describe('sequencer: pattern switch', () => {
  function everyStep(drum: number): Pattern {
    const p = new Pattern();
    for (let s = 0; s < 32; s++) p.set(s, drum, 1, s % 2 ? -1 : 1); // extreme offsets: the hardest case for gaps/doubles
    return p;
  }

  for (const [at, switchPosition] of [
    ['loop', 32],
    ['bar', 16],
  ] as const) {
    it(`takes over at the next ${at} with no gap and no doubled note`, () => {
      const clock = new OfflineClock(0);
      const seq = new Sequencer({ clock, bpm: 140, pattern: everyStep(KICK) });
      const { notes } = record(seq, clock);
      seq.start(0.1);
      clock.advanceTo(0.1 + 5 * (60 / 140 / 4)); // into step 5 of bar 1
      seq.setPattern(everyStep(SNARE), at);
      expect(seq.pendingPattern).to.not.equal(null);
      clock.advanceTo(0.1 + 40 * (60 / 140 / 4));
      const byPosition = new Map<number, number[]>();
      for (const n of notes()) byPosition.set(n.position, [...(byPosition.get(n.position) ?? []), n.drum]);
      const positions = [...byPosition.keys()];
      expect(positions).to.deep.equal(positions.map((_, i) => i)); // 0, 1, 2, ... without a hole
      for (const [pos, drums] of byPosition) {
        expect(drums, `position ${pos}`).to.have.length(1);
        expect(drums[0], `position ${pos}`).to.equal(pos < switchPosition ? KICK : SNARE);
      }
      expect(seq.pendingPattern).to.equal(null);
    });
  }

  it('switches at once while stopped', () => {
    const seq = new Sequencer({ clock: new OfflineClock(0) });
    const p = new Pattern().set(0, KICK, 1);
    seq.setPattern(p);
    expect(seq.pattern).to.equal(p);
  });
});

describe('sequencer: tempo', () => {
  it('clamps out-of-range tempo with a warning naming the value', () => {
    const warnings: string[] = [];
    expect(clampTempo(300, (m) => warnings.push(m))).to.equal(MAX_BPM);
    expect(clampTempo(10, (m) => warnings.push(m))).to.equal(MIN_BPM);
    expect(clampTempo(120, (m) => warnings.push(m))).to.equal(120);
    expect(warnings).to.have.length(2);
    expect(warnings[0]).to.match(/300/).and.match(/240/);
    const seq = new Sequencer({ clock: new OfflineClock(0), bpm: 500, warn: (m) => warnings.push(m) });
    expect(seq.bpm).to.equal(240);
    expect(warnings).to.have.length(3);
    expect(() => clampTempo(Number.NaN, () => {})).to.throw(/tempo/);
  });

  it('says an out-of-range tempo at most once a minute per limit (a master clock at 240 BPM re-tempos every 16th)', () => {
    const clock = new OfflineClock(0);
    const warnings: string[] = [];
    const seq = new Sequencer({ clock, bpm: 120, warn: (m) => warnings.push(m) });
    for (let i = 0; i < 200; i++) {
      clock.advance(0.125); // 25 s of 16ths, the estimate jittering across the limit
      seq.setTempo(i % 2 ? 239.99 : 240.02);
    }
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/240\.02 BPM/);
    seq.setTempo(30);
    expect(warnings, 'the other limit is said at once').to.have.length(2);
    clock.advance(60);
    seq.setTempo(250);
    expect(warnings, 'and again after a minute').to.have.length(3);
  });

  it('changes tempo at a cell boundary: nothing already scheduled moves, the new grid follows on', () => {
    const clock = new OfflineClock(0);
    const p = onEveryStep(KICK);
    const seq = new Sequencer({ clock, bpm: 120, pattern: p });
    const { notes } = record(seq, clock);
    seq.start(0.5);
    clock.advanceTo(1.0);
    const before = notes().map((n) => n.time);
    seq.setTempo(60);
    clock.advanceTo(4);
    const all = notes();
    expect(all.slice(0, before.length).map((n) => n.time)).to.deep.equal(before);
    const k = before.length; // first cell at the new tempo
    const boundary = all[k - 1].time + 0.125 / 2; // end of the last old cell
    expect(all[k].time).to.be.closeTo(boundary + 0.25 / 2, 1e-9);
    for (let i = k + 1; i < all.length; i++) expect(all[i].time - all[i - 1].time).to.be.closeTo(0.25, 1e-9);
    all.forEach((n, i) => expect(n.position).to.equal(i));
  });

  it('targetBpm is the tempo last asked for, at once, while bpm follows at the next 16th: knob detents within one 16th add up', () => {
    const clock = new OfflineClock(0);
    const seq = new Sequencer({ clock, bpm: 120 });
    seq.start(1);
    clock.advanceTo(1.01);
    for (let detent = 0; detent < 6; detent++) seq.setTempo(seq.targetBpm + 1); // six detents within 10 ms
    expect(seq.targetBpm).to.equal(126);
    expect(seq.bpm, 'the cells already scheduled keep their tempo').to.equal(120);
    clock.advanceTo(1.5);
    expect(seq.bpm).to.equal(126);
    seq.setTempo(100, 8);
    expect(seq.targetBpm, 'a ramp aims at its end').to.equal(100);
  });

  it('nextLoopStart: a loop start already handed out but not yet heard comes first', () => {
    const clock = new OfflineClock(0);
    const seq = new Sequencer({ clock, bpm: 120, lookAhead: 0.1, tickInterval: 0.025 });
    expect(seq.nextLoopStart(0), 'stopped').to.equal(null);
    seq.start(1); // loop starts at 1, 5, 9 s (32 16ths of 0.125 s)
    expect(seq.nextLoopStart(clock.now())).to.equal(1);
    clock.advanceTo(4.95); // cell 32 (downbeat 5 s) is scheduled, the position is past it
    expect(seq.position).to.be.greaterThan(32);
    expect(seq.nextLoopStart(clock.now()), 'just before the downbeat: that downbeat').to.be.closeTo(5, 1e-9);
    clock.advanceTo(5.01);
    expect(seq.nextLoopStart(clock.now()), 'just after it: the next loop').to.be.closeTo(9, 1e-9);
  });

  it('nextLoopStart: not one already handed out at a tempo that is about to change (a take laid on it would be off)', () => {
    const clock = new OfflineClock(0);
    const seq = new Sequencer({ clock, bpm: 120, lookAhead: 0.1, tickInterval: 0.025 });
    seq.start(1);
    clock.advanceTo(4.95); // cell 32 (downbeat 5 s) is handed out at 120 BPM
    seq.setTempo(60); // from cell 33 on
    // From the downbeat at 5 s: the rest of 16th 32 at 120 BPM, 31 16ths at 60, half of the next one
    expect(seq.nextLoopStart(clock.now())).to.be.closeTo(5 + 0.0625 + 31 * 0.25 + 0.125, 1e-9);
    seq.setTempo(120.05); // a master clock's estimate moving a hair: that downbeat still
    expect(seq.nextLoopStart(clock.now())).to.be.closeTo(5, 1e-9);
  });

  it('ramps tempo smoothly over the given number of 16ths', () => {
    const clock = new OfflineClock(0);
    const p = onEveryStep(KICK);
    const seq = new Sequencer({ clock, bpm: 100, pattern: p });
    const { notes } = record(seq, clock);
    seq.start(0.2);
    clock.advanceTo(0.6);
    seq.setTempo(200, 8);
    clock.advanceTo(6);
    const gaps = notes()
      .slice(1)
      .map((n, i) => n.time - notes()[i].time);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).to.be.at.most(gaps[i - 1] + 1e-9); // never slows down
    expect(gaps[0]).to.be.closeTo(0.15, 1e-9);
    expect(gaps[gaps.length - 1]).to.be.closeTo(0.075, 1e-9);
    expect(seq.bpm).to.equal(200);
  });
});

describe('sequencer: transport and robustness', () => {
  it('stop emits a stop event and nothing after it; continue resumes where it stopped', () => {
    const clock = new OfflineClock(0);
    const p = onEveryStep(HAT);
    const seq = new Sequencer({ clock, bpm: 120, pattern: p });
    const { events } = record(seq, clock);
    seq.start(0.1);
    clock.advanceTo(1.03); // inside cell 7 (cells are 0.125 s, the first opens at 0.0375)
    seq.stop();
    const stop = events[events.length - 1];
    expect(stop).to.include({ type: 'stop', position: 8 });
    expect(stop.time).to.equal(1.03);
    const count = events.length;
    clock.advanceTo(3);
    expect(events.length).to.equal(count);
    expect(seq.playing).to.equal(false);
    seq.continue();
    clock.advanceTo(3.5);
    const resumed = events.slice(count);
    expect(resumed[0]).to.include({ type: 'continue', position: 8 });
    const firstNote = resumed.find((e): e is NoteEvent & { emittedAt: number } => e.type === 'note')!;
    expect(firstNote.position).to.equal(8);
    expect(firstNote.step).to.equal(8);
  });

  it('join: plays from a given 16th with its downbeat at a given time, one just passed included; too late, from the next', () => {
    const clock = new OfflineClock(10);
    const p = onEveryStep(HAT);
    const seq = new Sequencer({ clock, bpm: 120, pattern: p });
    const { events, notes } = record(seq, clock);
    seq.join(20, 9.995); // 5 ms ago: played at once
    expect(events[0]).to.include({ type: 'continue', position: 20 });
    expect(notes()[0]).to.include({ position: 20, time: 9.995 });
    clock.advanceTo(10.4);
    expect(notes().map((n) => n.position)).to.deep.equal([20, 21, 22, 23, 24]);
    seq.stop();
    const before = events.length;
    seq.join(0, 10.37); // 30 ms ago: past the late-note limit, so 16th 1, a 16th later
    expect(events[before]).to.include({ type: 'continue', position: 1 });
    const first = events.slice(before).find((e) => e.type === 'note') as NoteEvent;
    expect(first).to.include({ position: 1, time: 10.495 });
  });

  it('shift moves only the 16ths not yet handed out, by less than a pulse', () => {
    const clock = new OfflineClock(0);
    const p = onEveryStep(HAT);
    const seq = new Sequencer({ clock, bpm: 120, pattern: p });
    const { notes } = record(seq, clock);
    seq.start(0.1);
    clock.advanceTo(0.5);
    const handedOut = notes().map((n) => n.time);
    seq.shift(0.003);
    clock.advanceTo(1.5);
    const times = notes().map((n) => n.time);
    expect(times.slice(0, handedOut.length)).to.deep.equal(handedOut);
    for (let i = handedOut.length; i < times.length; i++) expect(times[i]).to.be.closeTo(0.1 + 0.125 * i + 0.003, 1e-9);
    expect(() => seq.shift(0.125 / 6)).to.throw(RangeError, /less than one pulse/);
    // Shifts before the next 16th is handed out add up: together they must stay under a pulse too.
    seq.shift(0.012);
    expect(() => seq.shift(0.012)).to.throw(RangeError, /before the next 16th/);
  });

  it('stop just after a tempo change was laid out ahead: resumes at the first 16th not begun, as the 16ths were laid', () => {
    for (const [from, to, resume] of [
      [240, 60, 18],
      [60, 240, 5],
    ]) {
      const clock = new OfflineClock(0);
      const seq = new Sequencer({ clock, bpm: from, lookAhead: 0.1, tickInterval: 0.025 });
      const { events } = record(seq, clock);
      seq.start(1);
      clock.advanceTo(2.0);
      seq.setTempo(to); // applies from the next 16th handed out, up to 100 ms ahead of now
      clock.advanceTo(2.08);
      seq.stop();
      // At 240 BPM 16th 18 begins at 2.094 s; at 60 BPM 16th 5 at 2.125 s: neither had begun at 2.08 s.
      expect(events[events.length - 1], `${from} -> ${to} BPM`).to.include({ type: 'stop', position: resume });
    }
  });

  it('a throwing listener never corrupts the schedule; the others get every event exactly once', () => {
    const clock = new OfflineClock(0);
    const p = onEveryStep(KICK);
    const errors: unknown[] = [];
    const seq = new Sequencer({ clock, bpm: 120, pattern: p, onListenerError: (e) => errors.push(e) });
    let calls = 0;
    seq.on(() => {
      if (++calls % 3 === 0) throw new Error('output broke');
    });
    const { notes } = record(seq, clock);
    seq.start(0.1);
    clock.advanceTo(4.1);
    expect(errors.length).to.be.greaterThan(10);
    expect(notes().map((n) => n.position)).to.deep.equal(notes().map((_, i) => i));
    expect(notes()).to.have.length.greaterThan(30);
    expect(seq.playing).to.equal(true);
    expect(clock.pendingTimers()).to.be.greaterThan(0); // the ticker is still armed
  });
});
