import { expect } from 'chai';
import { otherNotes, ownGrooveFloor } from '../firmware-ts/eval/own-groove-floor.js';
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
});
