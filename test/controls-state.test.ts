import { expect } from 'chai';
import { accentFromGroove, emptyGroove } from '../firmware-ts/pattern/gestures.js';
import {
  clearDrum,
  copyBar,
  drumState,
  emptyGestureState,
  releaseDrum,
  setAccentSource,
  setGroove,
  toggleAccent,
  toggleStep,
  toGestures,
} from '../firmware-ts/controls/state.js';
import { gestureStateFromJSON } from '../firmware-ts/controls/state-json.js';

describe('controls: GestureState', () => {
  it('keeps the three states of a drum apart: unspecified, specified, specified-empty', () => {
    let s = emptyGestureState();
    expect(drumState(s, 2)).to.equal('unspecified');
    s = toggleStep(s, 2, 4);
    expect(drumState(s, 2)).to.equal('specified');
    s = clearDrum(s, 2);
    expect(drumState(s, 2)).to.equal('empty');
    s = releaseDrum(s, 2);
    expect(drumState(s, 2)).to.equal('unspecified');
    const model = toGestures(clearDrum(toggleStep(emptyGestureState(), 0, 0), 2));
    expect(model.drums![1]).to.equal(null);
    expect(model.drums![2]).to.be.instanceOf(Float32Array);
    expect(Array.from(model.drums![2]!).every((v) => v === 0)).to.equal(true);
    expect(model.drums![0]![0]).to.equal(1);
  });

  it('never mutates: every edit returns a new state', () => {
    const a = toggleStep(emptyGestureState(), 0, 0);
    const before = JSON.stringify(a);
    toggleStep(a, 0, 1);
    clearDrum(a, 0);
    copyBar(a, 0);
    toggleAccent(a, 3);
    expect(JSON.stringify(a)).to.equal(before);
  });

  it('copies bar 1 onto bar 2', () => {
    const s = copyBar(toggleStep(toggleStep(emptyGestureState(), 1, 4), 1, 20), 1);
    expect(s.scores[1]!.map((v, i) => (v ? i : -1)).filter((i) => i >= 0)).to.deep.equal([4, 20]);
    expect(copyBar(emptyGestureState(), 1).scores[1]).to.equal(null);
  });

  it('takes the accent from the taps by the paper rule and follows a new groove', () => {
    const g = emptyGroove();
    [0, 4, 8, 12].forEach((s, i) => {
      g.hits[s] = 1;
      g.velocities[s] = [0.9, 0.4, 0.4, 0.4][i];
    });
    let s = setAccentSource(setGroove(emptyGestureState(), g), 'taps');
    expect(s.accent).to.deep.equal(Array.from(accentFromGroove(g)));
    expect(s.accent![0]).to.equal(1);
    const g2 = emptyGroove();
    [2, 6, 10].forEach((st, i) => {
      g2.hits[st] = 1;
      g2.velocities[st] = [0.3, 1, 0.3][i];
    });
    s = setGroove(s, g2);
    expect(s.accent!.map((v, i) => (v ? i : -1)).filter((i) => i >= 0)).to.deep.equal([6]);
    // drawn on the grid: a new groove leaves it alone
    s = toggleAccent(s, 10);
    expect(s.accentSource).to.equal('grid');
    expect(setGroove(s, g).accent).to.deep.equal(s.accent);
  });

  it('round-trips through JSON and rejects bad input with a line naming the field', () => {
    const g = emptyGroove();
    g.hits[3] = 1;
    g.velocities[3] = 0.5;
    g.offsets[3] = -0.25;
    const s = toggleAccent(setGroove(clearDrum(toggleStep(emptyGestureState(), 0, 0), 3), g), 1);
    expect(gestureStateFromJSON(JSON.parse(JSON.stringify(s)))).to.deep.equal(s);
    const bad = JSON.parse(JSON.stringify(s));
    bad.scores[2] = new Array(32).fill(0);
    bad.scores[2][7] = 2;
    expect(() => gestureStateFromJSON(bad)).to.throw(
      /gestures\.scores\[2\] \(closedHat\)\[7\]: expected 0 or 1, got 2/,
    );
    const bad2 = JSON.parse(JSON.stringify(s));
    bad2.groove.offsets[3] = 1.5;
    expect(() => gestureStateFromJSON(bad2)).to.throw(/groove\.offsets\[3\]: expected a number -1\.\.1, got 1\.5/);
    expect(() => gestureStateFromJSON({ scores: [] })).to.throw(/expected 9 entries/);
    expect(() => toggleStep(s, 9, 0)).to.throw(/drum 9: expected 0\.\.8/);
  });
});
