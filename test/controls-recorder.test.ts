import { expect } from 'chai';
import { TapRecorder, type Take } from '../firmware-ts/controls/tap-recorder.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';

describe('controls: tap recorder', () => {
  const bpm = 120; // a 16th = 0.125 s, a bar = 2 s
  function rig() {
    const clock = new OfflineClock(100);
    const recorder = new TapRecorder({ clock, bpm: () => bpm });
    const takes: Take[] = [];
    recorder.onTake((t) => takes.push(t));
    return { clock, recorder, takes };
  }

  it('counts in one bar, records two, and places taps on the nearest 16th with late = positive', () => {
    const { clock, recorder, takes } = rig();
    const w = recorder.arm();
    expect(w.start).to.equal(102);
    expect(w.end).to.equal(106);
    clock.advanceTo(101);
    expect(recorder.phase()).to.equal('count-in');
    expect(recorder.hit({ time: 101, velocity: 1 })).to.equal(false); // during count-in: not part of the take
    clock.advanceTo(102);
    expect(recorder.phase()).to.equal('recording');
    recorder.hit({ time: 102 - 0.03125, velocity: 0.8 }); // a quarter of a 16th early for step 0
    recorder.hit({ time: 102 + 4 * 0.125 + 0.05, velocity: 0.5 }); // 0.8 of half a 16th late for step 4 -> +0.8
    recorder.hit({ time: 102 + 31 * 0.125, velocity: 0.3 });
    recorder.hit({ time: 106 - 0.05, velocity: 0.9 }); // nearer the next downbeat: belongs to the next loop
    clock.advanceTo(106.2);
    expect(takes).to.have.length(1);
    const g = takes[0].groove!;
    expect(
      Array.from(g.hits)
        .map((h, i) => (h ? i : -1))
        .filter((i) => i >= 0),
    ).to.deep.equal([0, 4, 31]);
    expect(g.offsets[0]).to.be.closeTo(-0.5, 1e-6);
    expect(g.offsets[4]).to.be.closeTo(0.8, 1e-6);
    expect(g.velocities[0]).to.be.closeTo(0.8, 1e-6);
    expect(recorder.phase()).to.equal('idle');
  });

  it("starts on the running loop's next downbeat without a count-in", () => {
    const { recorder } = rig();
    const w = recorder.arm(100.5);
    expect(w.start).to.equal(100.5);
    expect(w.end).to.equal(104.5);
    expect(recorder.phase(100.4)).to.equal('count-in'); // waiting for the downbeat
    expect(recorder.phase(100.5)).to.equal('recording');
  });

  it('keeps the louder of two taps on one step (one voice)', () => {
    const { clock, recorder, takes } = rig();
    const w = recorder.arm(100);
    recorder.hit({ time: w.start + 0.01, velocity: 0.4 });
    recorder.hit({ time: w.start + 0.02, velocity: 0.7 });
    recorder.hit({ time: w.start + 0.03, velocity: 0.5 });
    clock.advanceTo(w.end + 1);
    expect(takes[0].groove!.velocities[0]).to.be.closeTo(0.7, 1e-6);
    expect(takes[0].taps).to.equal(3);
  });

  it('reports an empty take as null and can be re-armed or cancelled', () => {
    const { clock, recorder, takes } = rig();
    recorder.arm();
    clock.advance(10);
    expect(takes).to.have.length(1);
    expect(takes[0].groove).to.equal(null);
    recorder.arm();
    recorder.cancel();
    clock.advance(10);
    expect(takes).to.have.length(1);
    expect(clock.pendingTimers()).to.equal(0);
  });

  it('a stroke naming a drum also lands on its row (the louder of two stays); an accent mark is no tap', () => {
    const { clock, recorder, takes } = rig();
    const w = recorder.arm(100);
    recorder.hit({ time: w.start, velocity: 0.5, drum: 1 });
    recorder.hit({ time: w.start + 0.01, velocity: 0.9, drum: 1 });
    recorder.hit({ time: w.start + 0.02, velocity: 0.6, drum: 1 });
    recorder.hit({ time: w.start + 0.125, velocity: 0.4, drum: 42 }); // no such drum: a tap only
    recorder.hit({ time: w.start + 0.25, velocity: 1, accent: true });
    clock.advanceTo(w.end + 1);
    const take = takes[0];
    expect(take.taps).to.equal(4);
    expect(take.drums!.velocity(0, 1)).to.be.closeTo(0.9, 1e-6);
    expect(take.drums!.offset(0, 1)).to.be.closeTo(0.16, 1e-6);
    expect(take.drums!.hit(1, 1)).to.equal(false);
    expect(Array.from(take.accentMarks!).indexOf(1)).to.equal(2);
    expect(take.groove!.hits[2]).to.equal(0);
    expect(take.velocityAccent).to.equal(false);
  });

  it('rejects a tempo it cannot record at, naming it', () => {
    const clock = new OfflineClock();
    const recorder = new TapRecorder({ clock, bpm: () => 0 });
    expect(() => recorder.arm()).to.throw(/tap recorder tempo: expected 20\.\.400 BPM, got 0/);
  });
});
