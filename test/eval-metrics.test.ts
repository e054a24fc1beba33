import { expect } from 'chai';
import { accentVelocities, grooveDeviation, offBeatOffsets, swingGroove } from '../firmware-ts/eval/experiments.js';
import {
  countHits,
  emptyCounts,
  histogram,
  meanCI95,
  meanStd,
  prf,
  wasserstein1,
  windowDiversity,
} from '../firmware-ts/eval/metrics.js';
import { mixSeed } from '../firmware-ts/eval/windows.js';
import { DRUM_COUNT } from '../firmware-ts/pattern/drums.js';
import { emptyGroove } from '../firmware-ts/pattern/gestures.js';
import { CELLS, Pattern, STEPS } from '../firmware-ts/pattern/pattern.js';

const KICK = 0,
  SNARE = 1,
  HAT = 2;
const cell = (step: number, drum: number) => step * DRUM_COUNT + drum;

describe('eval: metrics on hand-computed cases', () => {
  describe('windowDiversity (Table 1)', () => {
    const score = new Float32Array(CELLS);
    score[cell(0, KICK)] = 1;
    score[cell(4, SNARE)] = 1;
    const runs = (offsetsAt: (k: number) => [number, number]) => {
      const hits = [],
        offsets = [];
      for (let k = 0; k < 5; k++) {
        const h = new Float32Array(CELLS),
          o = new Float32Array(CELLS);
        const [kick, snare] = offsetsAt(k);
        h[cell(0, KICK)] = 1;
        o[cell(0, KICK)] = kick;
        h[cell(4, SNARE)] = 1;
        o[cell(4, SNARE)] = snare;
        hits.push(h);
        offsets.push(o);
      }
      return { hits, offsets };
    };

    it('is 0 for five identical outputs', () => {
      const r = runs(() => [0.3, -0.2]);
      expect(windowDiversity(score, r.hits, r.offsets)).to.equal(0);
    });

    it('averages the population std of each Score cell over the cells', () => {
      // kick offsets 0,0,0,.5,.5: mean .2, variance (3*.04 + 2*.09)/5 = .06 -> std .24495; snare constant -> 0.
      const r = runs((k) => [k < 3 ? 0 : 0.5, 0.1]);
      expect(windowDiversity(score, r.hits, r.offsets)).to.be.closeTo(Math.sqrt(0.06) / 2, 1e-6);
    });

    it('ignores hits off the Score and Score cells played by fewer than two runs', () => {
      const r = runs((k) => [k * 0.1, 0]);
      // The snare is played only by run 0, so only the kick cell counts.
      for (let k = 1; k < 5; k++) {
        r.hits[k][cell(4, SNARE)] = 0;
        r.offsets[k][cell(4, SNARE)] = 0;
      }
      // Wildly varying hats that are not in the Score change nothing.
      r.hits.forEach((h, k) => {
        h[cell(8, HAT)] = 1;
        r.offsets[k][cell(8, HAT)] = k % 2 ? 0.9 : -0.9;
      });
      expect(windowDiversity(score, r.hits, r.offsets)).to.be.closeTo(meanStd([0, 0.1, 0.2, 0.3, 0.4]).std, 1e-6);
      // Read the other way, the dropped snares count as offset 0 (all five snares are then 0: std 0).
      expect(windowDiversity(score, r.hits, r.offsets, 'zero')).to.be.closeTo(Math.sqrt(0.02) / 2, 1e-6);
      expect(meanStd([0, 0.1, 0.2, 0.3, 0.4]).std).to.be.closeTo(Math.sqrt(0.02), 1e-9);
    });

    it('is NaN when no Score cell is played twice', () => {
      const r = runs(() => [0, 0]);
      r.hits.forEach((h) => h.fill(0));
      expect(windowDiversity(score, r.hits, r.offsets)).to.satisfy(Number.isNaN);
    });
  });

  describe('swing statistics (Table 2)', () => {
    it('a fixed Groove carries t on every off-beat and 0 on the on-beats', () => {
      const g = swingGroove(0.2, 0.6);
      expect(Array.from(g.hits).every((h) => h === 1)).to.equal(true);
      expect(Array.from(g.offsets.filter((_, s) => s % 2 === 1)).every((o) => Math.abs(o - 0.2) < 1e-6)).to.equal(true);
      expect(Array.from(g.offsets.filter((_, s) => s % 2 === 0)).every((o) => o === 0)).to.equal(true);
    });

    it('a pattern swung by a known amount gives that mean', () => {
      const p = new Pattern();
      for (let s = 0; s < STEPS; s++) p.set(s, HAT, 0.7, s % 2 ? (s % 4 === 1 ? 0.1 : 0.3) : -0.5);
      const off = offBeatOffsets([p]);
      expect(off).to.have.length(16);
      const st = meanStd(off);
      expect(st.mean).to.be.closeTo(0.2, 1e-6);
      expect(st.std).to.be.closeTo(0.1, 1e-6);
      const on = offBeatOffsets([p], 0);
      expect(on).to.have.length(16);
      expect(meanStd(on).mean).to.be.closeTo(-0.5, 1e-6);
    });
  });

  describe('wasserstein1', () => {
    it('is 0 for identical samples, in any order', () => {
      expect(wasserstein1([0.1, -0.3, 0.5, 0.5], [0.5, 0.1, 0.5, -0.3])).to.equal(0);
    });

    it('is the shift for shifted samples', () => {
      const a = [-0.4, -0.1, 0, 0.2, 0.7];
      expect(
        wasserstein1(
          a,
          a.map((x) => x + 0.25),
        ),
      ).to.be.closeTo(0.25, 1e-12);
      expect(
        wasserstein1(
          a.map((x) => x - 0.1),
          a,
        ),
      ).to.be.closeTo(0.1, 1e-12);
    });

    it('handles samples of different sizes ([0] vs [0, 1] is 0.5)', () => {
      expect(wasserstein1([0], [0, 1])).to.be.closeTo(0.5, 1e-12);
      expect(wasserstein1([], [1])).to.satisfy(Number.isNaN);
    });
  });

  describe('precision / recall / F1', () => {
    it('counts a small case by hand', () => {
      // target 1 1 0 0 1, predicted .9 .2 .7 .1 .6 -> tp 2 (0, 4), fp 1 (2), fn 1 (1), tn 1 (3)
      const c = countHits(emptyCounts(), [1, 1, 0, 0, 1], [0.9, 0.2, 0.7, 0.1, 0.6]);
      expect(c).to.deep.equal({ tp: 2, fp: 1, fn: 1, tn: 1 });
      const r = prf(c);
      expect(r.precision).to.be.closeTo(2 / 3, 1e-12);
      expect(r.recall).to.be.closeTo(2 / 3, 1e-12);
      expect(r.f1).to.be.closeTo(2 / 3, 1e-12);
      expect(r.accuracy).to.be.closeTo(3 / 5, 1e-12);
    });

    it('uses the threshold and the index subset', () => {
      const c = countHits(emptyCounts(), [1, 1, 0, 0, 1], [0.9, 0.2, 0.7, 0.1, 0.6], 0.8, [0, 2, 4]);
      expect(c).to.deep.equal({ tp: 1, fp: 0, fn: 1, tn: 1 });
      expect(prf(c).f1).to.be.closeTo(2 / 3, 1e-12); // P 1, R .5
    });

    it('scores an empty answer to an empty target as perfect and a silent answer as F1 0', () => {
      expect(prf({ tp: 0, fp: 0, fn: 0, tn: 32 }).f1).to.equal(1);
      expect(prf({ tp: 0, fp: 0, fn: 4, tn: 28 }).f1).to.equal(0);
    });
  });

  describe('summaries', () => {
    it('meanCI95 uses the standard error of the mean', () => {
      // [1, 2, 3]: mean 2, sample std 1, se 1/sqrt(3)
      const r = meanCI95([1, 2, 3]);
      expect(r.mean).to.equal(2);
      expect(r.ci95[0]).to.be.closeTo(2 - 1.96 / Math.sqrt(3), 1e-12);
      expect(r.ci95[1]).to.be.closeTo(2 + 1.96 / Math.sqrt(3), 1e-12);
    });

    it('histogram clamps outliers into the end bins', () => {
      expect(histogram([-2, -1, -0.1, 0, 0.99, 5], -1, 1, 4)).to.deep.equal([2, 1, 1, 2]);
    });

    it('mixSeed separates runs and batches and is stable', () => {
      expect(mixSeed(1, 2, 3)).to.equal(mixSeed(1, 2, 3));
      expect(new Set([mixSeed(1, 0), mixSeed(1, 1), mixSeed(2, 0), mixSeed(1, 0, 0)]).size).to.equal(4);
    });
  });

  describe('control metrics', () => {
    it('grooveDeviation averages |offset - tapped offset| over hits at tapped steps only', () => {
      const g = emptyGroove();
      g.hits[0] = 1;
      g.offsets[0] = 0.2;
      g.hits[3] = 1;
      g.offsets[3] = -0.1;
      const p = new Pattern().set(0, KICK, 1, 0.1).set(0, HAT, 1, 0.5).set(3, SNARE, 1, -0.1).set(5, SNARE, 1, 0.9);
      // |.1-.2| + |.5-.2| + |-.1+.1| = .4 over 3 hits; step 5 is not tapped
      expect(grooveDeviation([p], [g])).to.be.closeTo(0.4 / 3, 1e-6);
    });

    it('accentVelocities splits hits by the accent of their step', () => {
      const a = new Float32Array(STEPS);
      a[4] = 1;
      const p = new Pattern().set(4, SNARE, 0.9).set(4, HAT, 0.7).set(2, HAT, 0.3).set(6, HAT, 0.5);
      const v = accentVelocities([p], [a]);
      expect(v.accented).to.be.closeTo(0.8, 1e-6);
      expect(v.unaccented).to.be.closeTo(0.4, 1e-6);
    });
  });
});
