import { expect } from 'chai';
import {
  accentFollowing,
  accentOnTheE,
  distribution,
  drumify,
  performanceError,
  weightedW1,
  windowsBetter,
} from '../firmware-ts/eval/measures.js';
import { nearestPlayer, popcount } from '../firmware-ts/eval/nearest.js';
import {
  fitTrain,
  jitterPlayer,
  quantizedPlayer,
  templateGroove,
  templatePlayer,
  type SplitData,
} from '../firmware-ts/eval/non-neural.js';
import { DRUM_COUNT } from '../firmware-ts/pattern/drums.js';
import { drumScores, emptyGroove, groove, score } from '../firmware-ts/pattern/gestures.js';
import { CELLS, Pattern, STEPS } from '../firmware-ts/pattern/pattern.js';
import { PATTERN_TENSOR_SIZE, patternToTensorData } from '../firmware-ts/pattern/tensor-layout.js';
import { handfulOfPatterns } from './helpers/tiny-models.js';

const KICK = 0,
  SNARE = 1,
  HAT = 2;

function splitOf(patterns: Pattern[]): SplitData {
  const data = new Float32Array(patterns.length * PATTERN_TENSOR_SIZE);
  patterns.forEach((p, k) => patternToTensorData(p, data, k * PATTERN_TENSOR_SIZE));
  return { count: patterns.length, data };
}

/** Values are stored as float32 in a Pattern; compare at that precision. */
const f32 = (x: number) => Math.fround(x);

describe('eval: the non-neural players on hand-made windows', () => {
  // Two train windows: kick on the beats (velocity .8, offset .1 late), hats on the off-beats (.4, -.2).
  const trainA = new Pattern();
  for (let s = 0; s < STEPS; s += 4) trainA.set(s, KICK, 0.8, 0.1);
  for (let s = 2; s < STEPS; s += 4) trainA.set(s, HAT, 0.4, -0.2);
  const trainB = new Pattern();
  for (let s = 0; s < STEPS; s += 8) trainB.set(s, SNARE, 0.6, 0.3);
  const fit = fitTrain(splitOf([trainA, trainB]));

  // The window to play: kick and snare, with its own timing.
  const window = new Pattern();
  window.set(0, KICK, 0.9, 0.05).set(4, SNARE, 0.7, 0.25).set(4, HAT, 0.3, -0.5).set(9, HAT, 0.5, 0.4);
  const ownGroove = groove(window);

  it('quantized plays exactly the score, offset 0, at the train mean velocity rounded to MIDI', () => {
    const mean = (8 * 0.8 + 8 * 0.4 + 4 * 0.6) / 20;
    const [out] = quantizedPlayer(fit).generateBatch([{ score: score(window) }], { seed: 1 });
    expect(out.pattern.hitCount()).to.equal(4);
    for (let i = 0; i < CELLS; i++) {
      expect(out.pattern.hits[i]).to.equal(window.hits[i] > 0.5 ? 1 : 0);
      if (out.pattern.hits[i]) {
        expect(out.pattern.offsets[i]).to.equal(0);
        expect(out.pattern.velocities[i]).to.equal(f32(Math.round(mean * 127) / 127));
      }
    }
  });

  it("the groove template with the window's own Groove gives every hit the loudest drum's offset and velocity at its step", () => {
    const [out] = templatePlayer(fit).generateBatch([{ drums: drumScores(window), groove: ownGroove }], { seed: 1 });
    // Step 4: the snare is the loudest, so the hat there takes the snare's timing too.
    expect(out.pattern.offset(4, SNARE)).to.equal(f32(0.25));
    expect(out.pattern.offset(4, HAT)).to.equal(f32(0.25));
    expect(out.pattern.velocity(4, HAT)).to.equal(f32(0.7));
    expect(out.pattern.offset(0, KICK)).to.equal(f32(0.05));
    const err = performanceError([window], [out.pattern]);
    // Only the hat at step 4 differs from the real performance: |0.25 - (-0.5)| over four hits.
    expect(err.offsetMAE).to.be.closeTo(0.75 / 4, 1e-6);
    expect(err.velocityMAE).to.be.closeTo((0.4 * 127) / 4, 1e-4);
    expect(err.matched).to.equal(4);
  });

  it('an untapped step takes the mean of the taps at the same place in the beat, else of all taps', () => {
    const g = emptyGroove();
    g.hits[1] = 1;
    g.offsets[1] = 0.2;
    g.velocities[1] = 0.5;
    g.hits[5] = 1;
    g.offsets[5] = 0.4;
    g.velocities[5] = 0.7;
    g.hits[2] = 1;
    g.offsets[2] = -0.3;
    g.velocities[2] = 0.9;
    const t = templateGroove(g, fit);
    expect(t.offsets[13]).to.be.closeTo(0.3, 1e-6); // an "e", like steps 1 and 5
    expect(t.velocities[13]).to.be.closeTo(0.6, 1e-6);
    expect(t.offsets[6]).to.be.closeTo(-0.3, 1e-6); // an "and", like step 2
    expect(t.offsets[0]).to.be.closeTo(0.1, 1e-6); // no downbeat tapped: the mean of all three taps
    // No Groove at all: the train split's mean groove (step 0: the kick of A and the snare of B).
    expect(templateGroove(null, fit).offsets[0]).to.be.closeTo(0.2, 1e-6);
  });

  it('jitter copies a real train hit of the same drum, and repeats for the same seed', () => {
    const player = jitterPlayer(fit);
    const [a] = player.generateBatch([{ score: score(window) }], { seed: 5 });
    const [b] = player.generateBatch([{ score: score(window) }], { seed: 5 });
    expect(Array.from(a.pattern.offsets)).to.deep.equal(Array.from(b.pattern.offsets));
    expect(a.pattern.offset(0, KICK)).to.equal(f32(0.1));
    expect(a.pattern.velocity(4, SNARE)).to.equal(f32(0.6));
    expect([f32(-0.2)]).to.include(a.pattern.offset(9, HAT));
  });

  it('without a score, the non-neural players play the tapped steps on the closed hat; with nothing given, nothing', () => {
    const [drumified] = templatePlayer(fit).generateBatch([{ groove: ownGroove }], { seed: 1 });
    expect(drumified.pattern.hitCount()).to.equal(3);
    expect(drumified.pattern.offset(9, HAT)).to.equal(f32(0.4));
    const [empty] = quantizedPlayer(fit).generateBatch([{}], { seed: 1 });
    expect(empty.pattern.isEmpty()).to.equal(true);
  });
});

describe('eval: nearest-neighbour retrieval', () => {
  const train = handfulOfPatterns();
  const player = nearestPlayer(splitOf(train));

  it("given a train window's own score and groove, plays that window's performance", () => {
    for (const k of [1, 4, 6]) {
      const [out] = player.generateBatch([{ drums: drumScores(train[k]), groove: groove(train[k]) }], { seed: 1 });
      expect(Array.from(out.pattern.offsets)).to.deep.equal(Array.from(train[k].offsets));
      expect(Array.from(out.pattern.velocities)).to.deep.equal(Array.from(train[k].velocities));
    }
  });

  it("keeps exactly the given score, borrowing the neighbour's timing; drums left null take the neighbour's hits", () => {
    const given = train[2].clone();
    given.set(7, SNARE, 0.5, 0); // not in any train window
    const [out] = player.generateBatch([{ score: score(given) }], { seed: 1 });
    expect(Array.from(out.pattern.hits)).to.deep.equal(Array.from(score(given)));
    // The neighbour (train[2]) has no snare at step 7 and no hit there at all: the mean of its snares.
    const snares = [4, 12, 20, 28].map((s) => train[2].offset(s, SNARE));
    expect(out.pattern.offset(7, SNARE)).to.be.closeTo(snares.reduce((a, b) => a + b) / 4, 1e-6);
    const kickOnly = new Pattern().set(0, KICK, 1).set(3, KICK, 1);
    const rows = drumScores(kickOnly).map((row, d) => (d === KICK ? row : null));
    const [partial] = player.generateBatch([{ drums: rows }], { seed: 1 });
    for (let s = 0; s < STEPS; s++) expect(partial.pattern.hit(s, KICK)).to.equal(s === 0 || s === 3);
    // Every train window has its snare on beats 2 and 4: the neighbour's snares are played.
    expect(partial.pattern.hit(4, SNARE)).to.equal(true);
  });

  it('drumify returns the neighbour as it is, and is deterministic whatever the seed', () => {
    const [a] = player.generateBatch([{ groove: groove(train[5]) }], { seed: 1 });
    const [b] = player.generateBatch([{ groove: groove(train[5]) }], { seed: 99 });
    expect(Array.from(a.pattern.hits)).to.deep.equal(Array.from(train[5].hits));
    expect(Array.from(b.pattern.offsets)).to.deep.equal(Array.from(a.pattern.offsets));
  });

  it('popcount counts the bits of a 32-bit word, sign bit included', () => {
    expect(popcount(0)).to.equal(0);
    expect(popcount(0b1011)).to.equal(3);
    expect(popcount(-1)).to.equal(32);
    expect(popcount(1 << 31)).to.equal(1);
  });
});

describe('eval: issue 20 measures on hand-computed cases', () => {
  const real = new Pattern().set(0, KICK, 1, 0.2).set(2, HAT, 0.5, -0.2).set(4, SNARE, 0.8, 0);

  it('performanceError matches hits by the real (step, drum) and leaves out the ones not played', () => {
    const gen = new Pattern().set(0, KICK, 0.9, 0.1).set(2, HAT, 0.5, 0.2).set(3, HAT, 1, 1);
    const e = performanceError([real], [gen]);
    expect(e.matched).to.equal(2);
    expect(e.realHits).to.equal(3);
    expect(e.offsetMAE).to.be.closeTo((0.1 + 0.4) / 2, 1e-6);
    expect(e.velocityMAE).to.be.closeTo((0.1 * 127) / 2, 1e-4);
    expect(windowsBetter([0.1, NaN, 0.3], [0.2, 0.1, 0.2])).to.deep.equal({ better: 1, compared: 2 });
  });

  it("performanceError splits the offset error by the real hit's role: its step's loudest note, or one the Groove does not carry", () => {
    // Step 0: kick (loud, the Groove's note) and hat (softer: only the step's offset is known for it).
    const shared = new Pattern().set(0, KICK, 1, 0.2).set(0, HAT, 0.4, -0.3).set(4, SNARE, 0.8, 0);
    // The generated hat is the louder one at step 0: the role is the real note's, not the generated one's.
    const gen = new Pattern().set(0, KICK, 0.3, 0.2).set(0, HAT, 0.9, 0).set(4, SNARE, 0.8, 0.1);
    const e = performanceError([shared], [gen]);
    expect(e.offsetMAEByRole.loudest).to.be.closeTo((0 + 0.1) / 2, 1e-6);
    expect(e.offsetMAEByRole.others).to.be.closeTo(0.3, 1e-6);
    // The tapped offset (the kick's 0.2) on the hat would have been 0.5 off.
    expect(e.offsetMAEByRole.othersTapped).to.be.closeTo(0.5, 1e-6);
    expect(e.offsetMAE).to.be.closeTo(0.4 / 3, 1e-6);
    // Nothing shares a step: no "others" to measure.
    expect(Number.isNaN(performanceError([real], [real]).offsetMAEByRole.others)).to.equal(true);
  });

  it('distribution: W1 per drum weighted by the real hits, velocities in MIDI, spread against the real spread', () => {
    expect(weightedW1([[0], [1, 1], []], [[0.5], [0, 0, 0], [3]])).to.be.closeTo((0.5 * 1 + 1 * 3) / 4, 1e-9);
    const same = distribution([real], [real]);
    expect(same.offsetsW1).to.equal(0);
    expect(same.spreadRatio).to.equal(1);
    const louder = real.clone();
    louder.set(4, SNARE, 0.9, 0);
    // One drum of three differs by 0.1 velocity: weighted over three real hits.
    expect(distribution([real], [louder]).velocitiesW1).to.be.closeTo((0.1 * 127) / 3, 1e-3);
  });

  it('accent following compares each drum with itself', () => {
    const p = new Pattern();
    for (let s = 0; s < STEPS; s++) p.set(s, HAT, s % 4 === 1 ? 0.6 : 0.4);
    p.set(0, KICK, 1); // a loud kick on an unaccented step must not lower the hats' ratio
    const a = accentFollowing([p], [accentOnTheE()]);
    expect(a.ratio).to.be.closeTo(1.5, 1e-6);
    expect(a.accentedHits).to.equal(8);
    expect(accentOnTheE().reduce((x, y) => x + y, 0)).to.equal(8);
  });

  it('drumify: onset F1 against the taps, hits per drum, empty loops', () => {
    const g = groove(real);
    const gen = new Pattern().set(0, KICK, 1).set(2, HAT, 1).set(6, HAT, 1);
    const d = drumify([real, real], [g, g], [gen, new Pattern()]);
    expect(d.emptyLoops).to.equal(1);
    expect(d.onset.precision).to.be.closeTo(2 / 3, 1e-9);
    expect(d.onset.recall).to.be.closeTo(2 / 6, 1e-9);
    expect(d.hitsPerWindowPerDrum[HAT]).to.equal(1);
    expect(d.realHitsPerWindowPerDrum.slice(0, 3)).to.deep.equal([1, 1, 1]);
    expect(d.hitsPerWindowPerDrum).to.have.length(DRUM_COUNT);
  });
});
