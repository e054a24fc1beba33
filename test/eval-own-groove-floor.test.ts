import { expect } from 'chai';
import { otherNotes, ownGrooveFloor, repeatVariation } from '../firmware-ts/eval/own-groove-floor.js';
import { mulberry32 } from '../firmware-ts/model/random.js';
import { Pattern, STEPS } from '../firmware-ts/pattern/pattern.js';

const KICK = 0,
  HAT = 2;

/**
 * Windows in which the kick under a hi-hat is played at the kick's own lean in that window, which shows where the kick
 * plays alone, and has nothing to do with the hat the Groove carries on those steps.
 */
function windows(count: number, seed: number): Pattern[] {
  const rand = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const p = new Pattern();
    const kickLean = 0.8 * rand() - 0.4;
    for (let s = 0; s < STEPS; s += 2) p.set(s, HAT, 0.9, 0.6 * rand() - 0.3);
    for (let s = 0; s < STEPS; s += 8) {
      p.set(s, KICK, 0.5, kickLean);
      p.set(s + 3, KICK, 0.5, kickLean);
    }
    return p;
  });
}

describe('eval: the own-groove floor', () => {
  it("finds the notes under a louder one and what the gestures show about them, not the note's own offset", () => {
    const [window] = windows(1, 3);
    const notes = otherNotes([window]);
    expect(notes.map((n) => n.played)).to.deep.equal(Array(4).fill(window.offset(0, KICK)));
    expect(notes.map((n) => n.tapped)).to.deep.equal([0, 8, 16, 24].map((s) => window.offset(s, HAT)));
    // Moving the kicks under the hats moves what is predicted, not what it is predicted from.
    const moved = new Pattern(window.hits.slice(), window.velocities.slice(), window.offsets.slice());
    for (let s = 0; s < STEPS; s += 8) moved.set(s, KICK, 0.5, -0.9);
    expect(otherNotes([moved]).map((n) => n.features)).to.deep.equal(notes.map((n) => n.features));
  });

  it('the linear model learns a lean the Groove shows elsewhere in the window; the scaled tap cannot', () => {
    const floor = ownGrooveFloor(windows(200, 1), windows(100, 2));
    expect(floor.othersShare).to.be.closeTo(4 / 24, 1e-9);
    expect(floor.templateOnOthers).to.be.above(0.15);
    expect(floor.shrunkOnOthers).to.be.above(0.15);
    expect(floor.linearOnOthers).to.be.below(0.01);
  });

  it('the repeats bound: a note under a tap in both bars, its distance from the tap compared between them', () => {
    const p = new Pattern();
    // Bar 1: the kick 0.1 before the hat at step 0; bar 2: 0.3 before. Step 4 of bar 2 has no kick: no pair.
    p.set(0, HAT, 0.9, 0.05).set(0, KICK, 0.5, -0.05);
    p.set(16, HAT, 0.9, 0.1).set(16, KICK, 0.5, -0.2);
    p.set(4, HAT, 0.9, 0).set(4, KICK, 0.5, 0).set(20, HAT, 0.9, 0);
    // Under a different loudest drum in the two bars: not the same place.
    p.set(8, HAT, 0.9, 0).set(8, KICK, 0.5, 0).set(24, HAT, 0.4, 0).set(24, KICK, 0.5, 0.2);
    // A second pair, the same in both bars: the mean of |a - b| is (0.2 + 0) / 2.
    p.set(12, HAT, 0.9, 0.1).set(12, KICK, 0.5, 0).set(28, HAT, 0.9, -0.1).set(28, KICK, 0.5, -0.2);
    const r = repeatVariation([p]);
    expect(r.pairs).to.equal(2);
    expect(r.laplace).to.be.closeTo(0.1 / 1.5, 1e-6);
    expect(r.gaussian).to.be.closeTo(0.1 / Math.SQRT2, 1e-6);
    expect(ownGrooveFloor(windows(20, 1), [p]).repeats).to.deep.equal(r);
  });
});
