import { expect } from 'chai';
import { MidiClockFollower } from '../firmware-ts/inputs/midi/clock-follower.js';
import { FakeMidiInput } from '../firmware-ts/inputs/midi/midi-input.js';
import { Pattern } from '../firmware-ts/pattern/pattern.js';
import type { NoteEvent } from '../firmware-ts/sequencer/events.js';
import { Sequencer } from '../firmware-ts/sequencer/sequencer.js';
import { OfflineClock, type Seconds } from '../firmware-ts/time/clock.js';

const KICK = 0,
  HAT = 2;
const CLOCK = 0xf8,
  START = 0xfa,
  CONTINUE = 0xfb,
  STOP = 0xfc,
  SONG_POSITION = 0xf2;

/** A hat on every 16th and a kick on each downbeat: every 16th the box plays is heard, and where. */
function everySixteenth(): Pattern {
  const pattern = new Pattern();
  for (let step = 0; step < 32; step++) pattern.set(step, HAT, 0.8);
  return pattern.set(0, KICK, 1).set(16, KICK, 1);
}

/**
 * A box (sequencer + follower) on an offline clock, and a master driving its
 * input. The master's pulses are numbered as it counts them; `pulses` sends
 * some, each `seenLate(n)` after its time (this thread busy), and with the
 * input's own stamp unless `stamps` is false.
 */
function rig(options: { bpm?: number; stamps?: boolean; pattern?: Pattern } = {}) {
  const clock = new OfflineClock(0);
  let input = new FakeMidiInput();
  const sequencer = new Sequencer({
    clock,
    bpm: options.bpm ?? 90,
    pattern: options.pattern ?? everySixteenth(),
    warn: () => {},
  });
  const said: string[] = [];
  const follower = new MidiClockFollower({ sequencer, clock, log: (m) => said.push(m) });
  let unlisten = follower.listen(input);
  const ours = new Map<number, Seconds>();
  /** The notes heard: a stop voids those handed out for after it, as every output drops them. */
  let notes: NoteEvent[] = [];
  sequencer.on((event) => {
    if (event.type === 'pulse') ours.set(event.pulse, event.time);
    if (event.type === 'note') notes.push(event);
    if (event.type === 'stop') notes = notes.filter((n) => n.time <= event.time);
  });
  /** The master's pulse times by its own count (while running). */
  const theirs = new Map<number, Seconds>();
  let t = 0.5;
  let running = false;
  let position = 0;
  const deviceOffset = 1000; // the input's clock has an origin of its own
  const send = (bytes: number[], at: Seconds, late = 0) => {
    clock.advanceTo(Math.max(clock.now(), at + late));
    input.emit(bytes, at + late, options.stamps === false ? undefined : at + deviceOffset);
  };
  const master = {
    clock,
    sequencer,
    follower,
    ours,
    theirs,
    said,
    get notes() {
      return notes;
    },
    /** The master's cable pulled and plugged in again: a new input, on a clock of its own. */
    replug() {
      unlisten();
      input = new FakeMidiInput();
      unlisten = follower.listen(input);
    },
    /** `count` pulses at `bpm` (a function of the pulse's index in this call for a ramp). */
    pulses(count: number, bpm: number | ((i: number) => number), seenLate: (i: number) => Seconds = () => 0) {
      for (let i = 0; i < count; i++) {
        if (running) theirs.set(position++, t);
        send([CLOCK], t, seenLate(i));
        t += 60 / (typeof bpm === 'number' ? bpm : bpm(i)) / 24;
      }
    },
    start() {
      send([START], t - 0.001);
      running = true;
      position = 0;
    },
    /** What most masters do: a beat of clock while stopped (so the tempo is known), then Start. */
    clockThenStart(bpm: number) {
      master.pulses(24, bpm);
      master.start();
    },
    continue() {
      send([CONTINUE], t - 0.001);
      running = true;
    },
    stop() {
      send([STOP], t - 0.001);
      running = false;
    },
    songPosition(sixteenths: number) {
      send([SONG_POSITION, sixteenths & 0x7f, sixteenths >> 7], t - 0.001);
      position = sixteenths * 6;
    },
    wait(seconds: Seconds) {
      t += seconds;
      clock.advanceTo(t);
    },
    /** The largest |ours - theirs| over the master's pulses numbered from..to (only those the box played). */
    worstGap(from: number, to: number): number {
      let worst = 0;
      for (let n = from; n <= to; n++) {
        const a = ours.get(n),
          b = theirs.get(n);
        if (a !== undefined && b !== undefined) worst = Math.max(worst, Math.abs(a - b));
      }
      return worst;
    },
  };
  return master;
}

describe('inputs: MIDI clock follow (slave mode)', () => {
  it('takes tempo from incoming clock and start/stop from the master', () => {
    const clock = new OfflineClock(0);
    const input = new FakeMidiInput();
    const seq = new Sequencer({ clock, bpm: 90, pattern: new Pattern().set(0, KICK, 1) });
    const follower = new MidiClockFollower({ input, sequencer: seq, clock });
    const pulse = 60 / 150 / 24;
    input.emit([START], 0);
    let t = 0.001;
    for (let i = 0; i < 48; i++, t += pulse) {
      clock.advanceTo(t);
      input.emit([CLOCK], t);
    }
    expect(follower.bpm).to.be.closeTo(150, 1e-6);
    expect(seq.playing).to.equal(true);
    expect(seq.bpm).to.be.closeTo(150, 1e-6);
    input.emit([STOP], t);
    expect(seq.playing).to.equal(false);
    follower.close();
  });

  it("takes the tempo from the input's own arrival stamps, so pulses this thread sees late do not move it", () => {
    const clock = new OfflineClock(0);
    const input = new FakeMidiInput();
    const seq = new Sequencer({ clock, bpm: 90, pattern: new Pattern() });
    const follower = new MidiClockFollower({ input, sequencer: seq, clock });
    const pulse = 60 / 128 / 24;
    for (let i = 0; i < 49; i++) {
      // Every 7th pulse reaches this thread 30 ms late (a garbage collection); the driver's stamp is on time.
      const seen = i * pulse + (i % 7 === 0 ? 0.03 : 0);
      clock.advanceTo(seen);
      input.emit([CLOCK], seen, 100 + i * pulse);
      if (i >= 2) expect(follower.bpm).to.be.closeTo(128, 1e-6);
    }
    expect(seq.targetBpm).to.be.closeTo(128, 1e-6);
    follower.close();
  });

  it('starts its estimate again after the master paused its clock', () => {
    const clock = new OfflineClock(0);
    const input = new FakeMidiInput();
    const seq = new Sequencer({ clock, bpm: 90, pattern: new Pattern() });
    const follower = new MidiClockFollower({ input, sequencer: seq, clock });
    let t = 0;
    for (let i = 0; i < 30; i++, t += 60 / 100 / 24) input.emit([CLOCK], t);
    expect(follower.bpm).to.be.closeTo(100, 1e-6);
    t += 5; // five seconds without clock, then the master comes back at 140
    for (let i = 0; i < 3; i++, t += 60 / 140 / 24) input.emit([CLOCK], t);
    expect(follower.bpm).to.be.closeTo(140, 1e-6);
    follower.close();
  });

  it("plays its downbeat on the master's first pulse after Start, and every pulse with the master's", () => {
    const box = rig();
    box.clockThenStart(150);
    box.pulses(4 * 96, 150);
    const firstKick = box.notes.find((n) => n.drum === KICK)!;
    expect(firstKick.position).to.equal(0);
    expect(firstKick.time).to.be.closeTo(box.theirs.get(0)!, 1e-6);
    expect(box.worstGap(0, 4 * 96 - 1)).to.be.below(1e-6);
    box.follower.close();
  });

  it("stays in phase when this thread sees pulses up to 30 ms late (the input's stamps say when they came)", () => {
    const box = rig();
    box.clockThenStart(120);
    box.pulses(8 * 96, 120, (i) => (i % 7 === 3 ? 0.03 : i % 5 === 0 ? 0.004 : 0.0005));
    expect(box.worstGap(0, 8 * 96 - 1)).to.be.below(0.0006);
    box.follower.close();
  });

  it("without the input's stamps, follows the pulses as this thread sees them, within a millisecond or two", () => {
    const box = rig({ stamps: false });
    box.clockThenStart(120);
    box.pulses(8 * 96, 120, (i) => (i % 37 === 5 ? 0.01 : 0.0003));
    // A pulse seen 10 ms late now and then pulls the phase, and the tempo estimate, a little.
    expect(box.worstGap(96, 8 * 96 - 1)).to.be.below(0.004);
    box.follower.close();
  });

  it('keeps in phase through a tempo ramp, where the estimate lags and errors would add up', () => {
    const box = rig();
    box.clockThenStart(120);
    const ramp = 8 * 96; // 120 -> 132 BPM over 8 bars
    box.pulses(ramp, (i) => 120 + (12 * i) / ramp);
    box.pulses(2 * 96, 132);
    expect(box.worstGap(24, ramp + 2 * 96 - 1)).to.be.below(0.002);
    expect(box.worstGap(ramp + 96, ramp + 2 * 96 - 1)).to.be.below(0.0002);
    expect(box.sequencer.bpm).to.be.closeTo(132, 0.01);
    box.follower.close();
  });

  it('closes a gap left by a master that sent no clock while stopped (no tempo before Start) within two bars', () => {
    const box = rig({ bpm: 120 });
    box.start();
    box.pulses(4 * 96, 100);
    expect(box.notes.find((n) => n.drum === KICK)!.time).to.be.closeTo(box.theirs.get(0)!, 1e-6);
    expect(box.worstGap(2 * 96, 4 * 96 - 1)).to.be.below(0.0005);
    box.follower.close();
  });

  it('after Stop mid-16th and a tempo change, Continue resumes at the 16th the master resumes at: none twice, none lost', () => {
    const box = rig();
    box.clockThenStart(120);
    box.pulses(100, 120); // stops 4 pulses into 16th 16: 16 has been played
    box.stop();
    box.pulses(48, 80); // stopped, the master turns its tempo down
    box.continue();
    box.pulses(2 * 96, 80); // pulse 100 comes first: 16th 17 is two pulses later
    const hats = box.notes.filter((n) => n.drum === HAT).map((n) => n.position);
    const last = hats[hats.length - 1];
    expect(hats).to.deep.equal(Array.from({ length: last + 1 }, (_, i) => i));
    const hat17 = box.notes.find((n) => n.drum === HAT && n.position === 17)!;
    expect(hat17.time).to.be.closeTo(box.theirs.get(102)!, 1e-6);
    expect(box.worstGap(102, 100 + 2 * 96 - 1)).to.be.below(1e-6);
    box.follower.close();
  });

  it('continues from a Song Position Pointer the master sent while stopped', () => {
    const box = rig();
    box.clockThenStart(120);
    box.pulses(96, 120);
    box.stop();
    box.songPosition(40); // the master's performer moved to 16th 40 (step 8 of the loop)
    box.pulses(24, 120);
    box.continue();
    box.pulses(96, 120);
    const resumed = box.notes.filter((n) => n.position >= 16);
    expect(resumed[0].position).to.equal(40);
    expect(resumed[0].step).to.equal(8);
    expect(resumed[0].time).to.be.closeTo(box.theirs.get(240)!, 1e-6);
    expect(box.worstGap(240, 240 + 95)).to.be.below(1e-6);
    box.follower.close();
  });

  it('joins at the next 16th, in phase, when the first pulse after Start reaches it too late to play', () => {
    const box = rig();
    box.clockThenStart(120);
    box.pulses(1, 120, () => 0.03); // pulse 0 seen 30 ms late: its 16th cannot be played any more
    box.pulses(2 * 96, 120);
    expect(box.notes[0].position).to.equal(1);
    expect(box.worstGap(6, 2 * 96)).to.be.below(0.0005);
    box.follower.close();
  });

  it("PLAY on the box while the master plays comes in on the master's next 16th with room for early hits, in phase", () => {
    const box = rig();
    box.clockThenStart(120);
    box.pulses(96, 120);
    box.sequencer.stop(box.clock.now()); // the performer stops the box; the master plays on
    box.pulses(40, 120);
    expect(box.follower.joinMaster()).to.equal(true);
    // The master's next pulse is 136; 16th 24 (pulse 144) is the first at least half a 16th away.
    box.pulses(96, 120);
    const joined = box.notes.filter((n) => n.position >= 17);
    expect(joined[0].position).to.equal(24);
    expect(joined[0].time).to.be.closeTo(box.theirs.get(144)!, 1e-6);
    expect(box.worstGap(144, 136 + 95)).to.be.below(1e-6);
    box.sequencer.stop(box.clock.now());
    box.stop();
    expect(box.follower.joinMaster(), 'nothing to join while the master is stopped').to.equal(false);
    box.follower.close();
  });

  it('a stopped master unplugged and plugged in again still continues where it stopped', () => {
    const box = rig();
    box.clockThenStart(120);
    box.pulses(100, 120);
    box.stop();
    box.replug();
    box.pulses(24, 100);
    box.continue();
    box.pulses(96, 100);
    const hats = box.notes.filter((n) => n.drum === HAT).map((n) => n.position);
    expect(hats).to.deep.equal(Array.from({ length: hats.length }, (_, i) => i));
    expect(box.notes.find((n) => n.position === 17)!.time).to.be.closeTo(box.theirs.get(102)!, 1e-6);
    box.follower.close();
  });

  it('a playing master whose pulses were lost to a replug: the box plays on at its tempo, unpulled, until the next Start', () => {
    const box = rig();
    box.clockThenStart(120);
    box.pulses(96, 120);
    box.replug();
    expect(box.said).to.deep.equal([
      "the master's pulses were missed while it played: following its tempo, not its place, until its next Start",
    ]);
    box.pulses(96, 120);
    const startedAt = box.clock.now();
    box.pulses(96, 120);
    const pulses = [...box.ours.entries()].filter(([, t]) => t > startedAt).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < pulses.length; i++) expect(pulses[i][1] - pulses[i - 1][1]).to.be.closeTo(60 / 120 / 24, 1e-9);
    expect(box.sequencer.playing).to.equal(true);
    box.start(); // the master starts again: locked from its first pulse
    box.pulses(96, 120);
    expect(box.notes.find((n) => n.position === 0 && n.time > startedAt)!.time).to.be.closeTo(box.theirs.get(0)!, 1e-6);
    expect(box.worstGap(0, 95)).to.be.below(1e-6);
    box.follower.close();
  });

  it('a master that jumps its tempo mid-run: the box comes in again at its next 16th rather than creep for bars', () => {
    for (const [from, to] of [
      [100, 80],
      [200, 240],
      [90, 120],
    ]) {
      const box = rig();
      box.clockThenStart(from);
      box.pulses(2 * 96, from);
      box.pulses(4 * 96, to);
      expect(box.sequencer.playing).to.equal(true);
      expect(
        box.said.some((m) => /ms out of phase with the master: in again at its 16th \d+/.test(m)),
        box.said.join('; '),
      ).to.equal(true);
      expect(box.worstGap(2 * 96 + 2 * 96, 2 * 96 + 4 * 96 - 1), `${from} -> ${to} BPM, two bars after`).to.be.below(
        0.0005,
      );
      const positions = box.notes.filter((n) => n.drum === HAT).map((n) => n.position);
      for (let i = 1; i < positions.length; i++)
        expect(positions[i], 'never a 16th twice').to.be.above(positions[i - 1]);
      box.follower.close();
    }
  });

  it("a Song Position Pointer while the master plays (a DAW's loop jumping back): the box jumps with it", () => {
    const box = rig();
    box.clockThenStart(120);
    box.pulses(40 * 6 + 2, 120);
    box.songPosition(0); // back to the top, without a Stop
    box.pulses(2 * 96, 120);
    const after = box.notes.filter((n) => n.time > box.theirs.get(0)! && n.position < 40);
    expect(after[0].position).to.be.within(1, 2); // the master's first 16th at least half a 16th away
    expect(box.worstGap(12, 2 * 96 - 1)).to.be.below(1e-6);
    box.follower.close();
  });

  it("PLAY after the master's pulses stopped without a Stop (its cable pulled) plays on its own instead of joining", () => {
    const box = rig();
    box.clockThenStart(120);
    box.pulses(96, 120);
    box.sequencer.stop(box.clock.now());
    box.wait(1);
    expect(box.follower.joinMaster()).to.equal(false);
    box.follower.close();
  });

  it('two pulses with one stamp (one USB packet) after a pause give no tempo rather than an infinite one', () => {
    const box = rig();
    box.pulses(24, 120);
    box.wait(1);
    expect(() => box.pulses(2, () => Infinity)).not.to.throw();
    expect(box.follower.bpm).to.equal(null);
    box.pulses(26, 120); // a whole window past the pair
    expect(box.follower.bpm).to.be.closeTo(120, 1e-6);
    box.follower.close();
  });

  it('a fault while following a message costs that message and a log line, never an exception into the MIDI driver', () => {
    const box = rig();
    box.sequencer.setTempo = () => {
      throw new Error('a bug');
    };
    expect(() => box.pulses(24, 120)).not.to.throw();
    expect(box.said).to.deep.equal(['a MIDI clock message was not followed: a bug']);
    box.follower.close();
  });

  it('does not pull a run the performer started on the box while the master plays', () => {
    const box = rig();
    box.clockThenStart(120);
    box.pulses(96, 120);
    box.sequencer.stop(box.clock.now());
    box.sequencer.start();
    const startedAt = box.clock.now();
    box.pulses(2 * 96, 120);
    const pulses = [...box.ours.entries()].filter(([, t]) => t > startedAt + 0.1).sort((a, b) => a[0] - b[0]);
    const spacing = pulses.slice(1).map(([, t], i) => t - pulses[i][1]);
    for (const s of spacing) expect(s).to.be.closeTo(60 / 120 / 24, 1e-9);
    box.follower.close();
  });
});
