import { expect } from 'chai';
import { DRUM_COUNT } from '../firmware-ts/pattern/drums.js';
import {
  GROOVE_SIZE,
  SCORE_SIZE,
  drumRow,
  drumRowsToScore,
  gestureArrays,
  givenDrumRows,
  packGroove,
  scoreToDrumRows,
  unpackGroove,
} from '../firmware-ts/pattern/gesture-layout.js';
import { emptyGroove, groove, score } from '../firmware-ts/pattern/gestures.js';
import { Pattern, STEPS } from '../firmware-ts/pattern/pattern.js';
import { patternToTensorData } from '../firmware-ts/pattern/tensor-layout.js';

describe('pattern: gesture layout, both directions', () => {
  it('packs a groove per step as [hit, velocity, offset], zero where no hit, and reads it back', () => {
    const g = emptyGroove();
    g.hits[3] = 1;
    g.velocities[3] = 0.75;
    g.offsets[3] = -0.25;
    g.velocities[4] = 0.5; // no hit there: packing drops it
    const packed = packGroove(g);
    expect(packed.length).to.equal(GROOVE_SIZE);
    expect(Array.from(packed.subarray(9, 15))).to.deep.equal([1, 0.75, -0.25, 0, 0, 0]);
    const back = unpackGroove(packed);
    expect(back.hits[3]).to.equal(1);
    expect(back.velocities[3]).to.equal(0.75);
    expect(back.offsets[3]).to.equal(-0.25);
    expect(back.velocities[4]).to.equal(0);
  });

  it('reads a packed groove as it is, so a model output keeps its probabilities, and writes at an offset', () => {
    const out = new Float32Array(2 * GROOVE_SIZE);
    out[GROOVE_SIZE] = 0.25;
    expect(unpackGroove(out, GROOVE_SIZE).hits[0]).to.equal(0.25);
    const g = emptyGroove();
    g.hits[0] = 1;
    g.velocities[0] = 0.5;
    packGroove(g, out, GROOVE_SIZE);
    expect(Array.from(out.subarray(GROOVE_SIZE, GROOVE_SIZE + 3))).to.deep.equal([1, 0.5, 0]);
    expect(out[0]).to.equal(0);
  });

  it('splits a score into drum rows and joins them back into hits; a null row is a drum without hits', () => {
    const s = new Float32Array(SCORE_SIZE);
    s[5 * DRUM_COUNT + 2] = 1;
    s[7 * DRUM_COUNT + 0] = 0.75;
    const rows = scoreToDrumRows(s);
    expect(rows).to.have.length(DRUM_COUNT);
    expect(rows[2][5]).to.equal(1);
    expect(rows[0][7]).to.equal(0.75);
    expect(drumRow(s, 0, true)[7]).to.equal(1);
    expect(Array.from(drumRowsToScore(rows))).to.deep.equal(Array.from(s, (v) => (v > 0.5 ? 1 : 0)));
    const joined = drumRowsToScore([null, null, rows[2]]);
    expect(joined[5 * DRUM_COUNT + 2]).to.equal(1);
    expect(joined[7 * DRUM_COUNT + 0]).to.equal(0);
  });

  it('gives per-drum rows precedence over a full score, and a full score only without them', () => {
    const s = new Float32Array(SCORE_SIZE).fill(1);
    const row = new Float32Array(STEPS);
    const given = givenDrumRows({ score: s, drums: [row] });
    expect(given[0]).to.equal(row);
    expect(given.slice(1).every((r) => r === null)).to.equal(true);
    expect(givenDrumRows({ score: s }).every((r) => r !== null && r[0] === 1)).to.equal(true);
    expect(givenDrumRows({}).every((r) => r === null)).to.equal(true);
  });

  it('batches the gestures of patterns with the gesture functions themselves', () => {
    const p = new Pattern();
    p.set(0, 0, 0.9, 0.1);
    p.set(4, 2, 0.4, -0.2);
    const arrays = gestureArrays(patternToTensorData(p));
    expect(arrays.count).to.equal(1);
    expect(Array.from(arrays.score)).to.deep.equal(Array.from(score(p)));
    expect(Array.from(arrays.groove)).to.deep.equal(Array.from(packGroove(groove(p))));
    expect(unpackGroove(arrays.groove).velocities[4]).to.be.closeTo(0.4, 1e-6);
  });
});
