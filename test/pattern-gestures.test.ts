import { expect } from 'chai';
import { Pattern } from '../firmware-ts/pattern/pattern.js';
import {
  accent,
  accentFromGroove,
  drumScores,
  emptyGroove,
  groove,
  grooveToPattern,
  quantize,
  score,
} from '../firmware-ts/pattern/gestures.js';
import { quantizeWindow } from '../firmware-ts/midi-file/windows.js';
import { toMagentaOffset } from '../firmware-ts/pattern/tensor-layout.js';

const KICK = 0,
  SNARE = 1,
  HAT = 2;
const steps = (a: Float32Array) => Array.from(a).flatMap((v, i) => (v ? [i] : []));

describe('pattern: gestures', () => {
  describe('accent (per drum: velocity > mean + 1 std of that drum)', () => {
    // Hand-computed:
    //  kick 1.0, .5, .5, .5 at 0, 8, 16, 24: mean .625, std .2165 -> only step 0 (1.0 > .8415)
    //  snare .6 x 4 at 4, 12, 20, 28: std 0 -> none (equal velocities are never accents)
    //  hat .2, .2, .2, .6 at 1, 3, 5, 7: mean .3, std .1732 -> step 7 (.6 > .4732), although
    //  .6 is below the kick's threshold: each drum has its own
    //  open hat .9 and .1 at 9, 10: mean .5, std .4 -> .9 is not MORE than .9: none
    const p = new Pattern();
    [1, 0.5, 0.5, 0.5].forEach((v, k) => p.set(8 * k, KICK, v));
    [4, 12, 20, 28].forEach((s) => p.set(s, SNARE, 0.6));
    [0.2, 0.2, 0.2, 0.6].forEach((v, k) => p.set(1 + 2 * k, HAT, v));
    p.set(9, 3, 0.9).set(10, 3, 0.1);

    it('marks the hand-computed steps', () => {
      expect(steps(accent(p))).to.deep.equal([0, 7]);
    });

    it('is empty for an empty pattern and for a lone hit', () => {
      expect(steps(accent(new Pattern()))).to.deep.equal([]);
      expect(steps(accent(new Pattern().set(5, SNARE, 1)))).to.deep.equal([]);
    });

    it('applies the same rule to a tapped groove', () => {
      const g = emptyGroove();
      [0.5, 0.5, 0.5, 1].forEach((v, k) => {
        g.hits[4 * k] = 1;
        g.velocities[4 * k] = v;
      });
      expect(steps(accentFromGroove(g))).to.deep.equal([12]);
      expect(Array.from(accentFromGroove(g))).to.deep.equal(Array.from(accent(grooveToPattern(g))));
    });
  });

  describe('groove (squash)', () => {
    it('keeps the louder of two simultaneous hits, with its velocity and offset', () => {
      const p = new Pattern()
        .set(0, KICK, 0.8, -0.1)
        .set(0, HAT, 0.5, 0.3)
        .set(6, HAT, 0.4, 0.5)
        .set(6, SNARE, 0.9, 0.2);
      const g = groove(p);
      expect(steps(g.hits)).to.deep.equal([0, 6]);
      expect(g.velocities[0]).to.be.closeTo(0.8, 1e-6);
      expect(g.offsets[0]).to.be.closeTo(-0.1, 1e-6);
      expect(g.velocities[6]).to.be.closeTo(0.9, 1e-6);
      expect(g.offsets[6]).to.be.closeTo(0.2, 1e-6);
      expect(g.velocities[1]).to.equal(0);
    });
  });

  describe('score and per-drum scores', () => {
    const p = new Pattern().set(0, KICK, 0.8, -0.1).set(4, SNARE, 0.5, 0.3);

    it('keeps hits only', () => {
      const s = score(p);
      expect(steps(s)).to.deep.equal([0, 4 * 9 + 1]);
      const q = quantize(p);
      expect(q.toJSON().notes).to.deep.equal([
        [0, KICK, 0, 0],
        [4, SNARE, 0, 0],
      ]);
    });

    it('keeps "unspecified" (null) apart from "do not play" (all zeros)', () => {
      const specified = [true, false, true, true, true, true, true, true, true];
      const rows = drumScores(p, specified);
      expect(rows[SNARE]).to.equal(null);
      expect(steps(rows[KICK]!)).to.deep.equal([0]);
      expect(rows[HAT]).to.be.instanceOf(Float32Array);
      expect(steps(rows[HAT]!)).to.deep.equal([]);
    });
  });

  describe('microtiming sign', () => {
    // 120 BPM: a 16th is 125 ms, so half a step (offset 1) is 62.5 ms.
    const bar = 2;
    const note = (time: number) => ({ time, end: time + 0.05, pitch: 38, velocity: 100, channel: 9 });

    it('a note 10 ms after the grid gives offset +0.16 (late is positive)', () => {
      const p = quantizeWindow([note(4 * 0.125 + 0.01)], 0, bar);
      expect(p.hit(4, SNARE)).to.equal(true);
      expect(p.offset(4, SNARE)).to.be.closeTo(0.16, 1e-6);
      expect(toMagentaOffset(p.offset(4, SNARE))).to.be.closeTo(-0.16, 1e-6);
    });

    it('a note 10 ms before the grid gives offset -0.16', () => {
      const p = quantizeWindow([note(4 * 0.125 - 0.01)], 0, bar);
      expect(p.offset(4, SNARE)).to.be.closeTo(-0.16, 1e-6);
    });

    it('a downbeat played 10 ms early stays on step 0 of its window', () => {
      const p = quantizeWindow([note(bar - 0.01)], bar, bar);
      expect(p.hit(0, SNARE)).to.equal(true);
      expect(p.offset(0, SNARE)).to.be.closeTo(-0.16, 1e-6);
    });
  });
});
