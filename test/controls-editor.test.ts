import { expect } from 'chai';
import { flipPage, initialUi, nextMode, pressKey, type EditorUi } from '../firmware-ts/controls/editor.js';
import {
  ACCENT_COLOR,
  DRUM_COLORS,
  EMPTY_COLOR,
  gridColors,
  linkedColor,
  MISSED_COLOR,
  AGREE_COLOR,
  PLAYHEAD_COLOR,
  UNSPECIFIED_COLOR,
} from '../firmware-ts/controls/led-view.js';
import { drumState, emptyGestureState, type GestureState } from '../firmware-ts/controls/state.js';

function keys(state: GestureState, ui: EditorUi, presses: [number, boolean][]): { state: GestureState; ui: EditorUi } {
  for (const [key, shift] of presses) ({ state, ui } = pressKey(state, ui, key, shift));
  return { state, ui };
}

describe('controls: score and accent editor', () => {
  it('SHIFT + key selects a drum; keys toggle its steps on the shown bar; PAGE shows bar 2', () => {
    let { state, ui } = keys(emptyGestureState(), initialUi(), [
      [1, true],
      [0, false],
      [4, false],
      [4, false],
      [8, false],
    ]);
    expect(ui.drum).to.equal(1);
    // Bars linked (a new state): bar 1's steps play in bar 2 too.
    expect(state.scores[1]!.map((v, i) => (v ? i : -1)).filter((i) => i >= 0)).to.deep.equal([0, 8, 16, 24]);
    ui = flipPage(ui);
    ({ state, ui } = keys(state, ui, [[0, false]]));
    expect(state.scores[1]![16]).to.equal(0);
    expect(state.barsLinked).to.equal(false);
    ({ state, ui } = keys(state, ui, [
      [12, true],
      [14, true],
    ])); // bar 1, copy to bar 2
    expect(ui.bar).to.equal(0);
    expect(state.scores[1]!.slice(16)).to.deep.equal(state.scores[1]!.slice(0, 16));
    ({ state } = keys(state, ui, [[15, true]]));
    expect(drumState(state, 1)).to.equal('empty');
    ({ state } = keys(state, ui, [[11, true]]));
    expect(drumState(state, 1)).to.equal('unspecified');
    expect(() => pressKey(state, ui, 16, false)).to.throw(/grid key 16: expected 0\.\.15/);
  });

  it('accent mode toggles accents; SHIFT + 10 takes the accent from taps', () => {
    let ui = nextMode(initialUi());
    expect(ui.mode).to.equal('accent');
    let state = emptyGestureState();
    ({ state, ui } = keys(state, ui, [
      [2, false],
      [6, false],
    ]));
    expect(state.accentSource).to.equal('grid');
    expect(state.accent!.map((v, i) => (v ? i : -1)).filter((i) => i >= 0)).to.deep.equal([2, 6, 18, 22]);
    ({ state } = keys(state, ui, [[9, true]]));
    expect(state.accentSource).to.equal('taps');
    expect(state.accent).to.equal(null); // no taps yet
  });

  it('LEDs show the three drum states differently, hits in the drum colour, and the playhead', () => {
    let ui = initialUi();
    let state = emptyGestureState();
    expect(gridColors(state, ui).every((c) => c === UNSPECIFIED_COLOR)).to.equal(true);
    ({ state, ui } = keys(state, ui, [[15, true]]));
    expect(gridColors(state, ui).every((c) => c === EMPTY_COLOR)).to.equal(true);
    ({ state, ui } = keys(state, ui, [[3, false]]));
    const colors = gridColors(state, ui, { playheadStep: 5 });
    expect(colors[3]).to.deep.equal(DRUM_COLORS[0]);
    expect(colors[4]).to.deep.equal({ r: 0, g: 0, b: 0 });
    expect(colors[5]).to.deep.equal(PLAYHEAD_COLOR);
    // playhead on bar 2 is not drawn on bar 1
    expect(gridColors(state, ui, { playheadStep: 21 })[5]).to.deep.equal({ r: 0, g: 0, b: 0 });
    expect(gridColors(state, nextMode(ui))[3]).to.deep.equal({ r: 0, g: 0, b: 0 });
    ({ state, ui } = keys(state, nextMode(ui), [[7, false]]));
    expect(gridColors(state, ui)[7]).to.deep.equal(ACCENT_COLOR);
  });

  it('LEDs veil bar 2 while it repeats bar 1, and show it plainly once it is its own; bar 1 is never veiled', () => {
    // Kick on steps 1 and 5 of bar 1, and a drawn accent on step 1: linked, bar 2 repeats both.
    let { state, ui } = keys(emptyGestureState(), initialUi(), [
      [0, false],
      [4, false],
    ]);
    ({ state, ui } = keys(state, nextMode(ui), [[0, false]]));
    const accentUi = ui;
    ui = { ...ui, mode: 'score' };
    expect(state.barsLinked).to.equal(true);
    const bar1 = gridColors(state, ui);
    expect([bar1[0], bar1[4]]).to.deep.equal([DRUM_COLORS[0], DRUM_COLORS[0]]);
    const bar2 = gridColors(state, flipPage(ui));
    expect([bar2[0], bar2[4]], 'the repeat is veiled').to.deep.equal([
      linkedColor(DRUM_COLORS[0]),
      linkedColor(DRUM_COLORS[0]),
    ]);
    expect(bar2[0]).not.to.deep.equal(DRUM_COLORS[0]);
    expect(bar2[1]).to.deep.equal({ r: 0, g: 0, b: 0 });
    expect(gridColors(state, flipPage(accentUi))[0], 'a drawn accent repeats veiled too').to.deep.equal(
      linkedColor(ACCENT_COLOR),
    );
    // The playhead over a veiled step still mixes with it (the step stays readable), as over any lit step.
    expect(gridColors(state, flipPage(ui), { playheadStep: 20 })[4]).not.to.deep.equal(PLAYHEAD_COLOR);
    // A key on bar 2 makes it bar 2's own: its steps show in the drum's full colour.
    ({ state, ui } = keys(state, flipPage(ui), [[8, false]]));
    expect(state.barsLinked).to.equal(false);
    const own = gridColors(state, ui);
    expect([own[0], own[4], own[8]]).to.deep.equal([DRUM_COLORS[0], DRUM_COLORS[0], DRUM_COLORS[0]]);
  });

  it("shows the model's reconstruction: agreement, misses, and what it added", () => {
    let state = emptyGestureState();
    let ui = initialUi();
    ({ state, ui } = keys(state, ui, [
      [0, false],
      [4, false],
    ]));
    ui = nextMode(nextMode(ui));
    expect(ui.mode).to.equal('interpretation');
    const scores = Array.from({ length: 9 }, () => new Float32Array(32));
    scores[0][0] = 0.9;
    scores[0][4] = 0.1;
    scores[0][8] = 0.6;
    const colors = gridColors(state, ui, { interpretation: { scores } });
    expect(colors[0]).to.deep.equal(AGREE_COLOR);
    expect(colors[4]).to.deep.equal(MISSED_COLOR);
    expect(colors[8].b).to.be.greaterThan(0);
    expect(colors[12]).to.deep.equal({ r: 0, g: 0, b: 0 });
  });
});
