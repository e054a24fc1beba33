import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryLogs } from '../firmware-ts/support/log.js';
import { SLOT_FORMAT, SlotStore, type SlotData } from '../firmware-ts/box/slots.js';
import { flipPage, initialUi, nextMode, pressKey, type EditorUi } from '../firmware-ts/controls/editor.js';
import { emptyGestureState, type GestureState } from '../firmware-ts/controls/state.js';
import { gestureStateFromJSON } from '../firmware-ts/controls/state-json.js';

const SHIFT_COPY_BAR = 14;
const SHIFT_SNARE = 1;

function press(state: GestureState, ui: EditorUi, key: number, shift = false): { state: GestureState; ui: EditorUi } {
  const edit = pressKey(state, ui, key, shift);
  return { state: edit.state, ui: edit.ui };
}

const onSteps = (row: number[] | null): number[] => (row ?? []).flatMap((v, i) => (v ? [i] : []));

describe('gestures: bar 2 repeats bar 1 until edited on its own', () => {
  it('a new state is linked; a step in bar 1 plays in both bars, for the score and the drawn accent', () => {
    let state = emptyGestureState();
    let ui = initialUi();
    expect(state.barsLinked).to.equal(true);
    ({ state, ui } = press(state, ui, 0));
    ({ state, ui } = press(state, ui, 8));
    expect(onSteps(state.scores[0])).to.deep.equal([0, 8, 16, 24]);
    ({ state, ui } = press(state, ui, 8)); // off again, in both bars
    expect(onSteps(state.scores[0])).to.deep.equal([0, 16]);
    ui = nextMode(ui); // accent
    ({ state } = press(state, ui, 4));
    expect(onSteps(state.accent)).to.deep.equal([4, 20]);
    expect(state.barsLinked).to.equal(true);
  });

  it('PAGE to bar 2 and an edit there unlinks: bar 1 edits stay in bar 1 from then on', () => {
    let state = emptyGestureState();
    let ui = initialUi();
    ({ state, ui } = press(state, ui, 0));
    ui = flipPage(ui);
    ({ state, ui } = press(state, ui, 2));
    expect(state.barsLinked).to.equal(false);
    expect(onSteps(state.scores[0])).to.deep.equal([0, 16, 18]);
    ui = flipPage(ui);
    ({ state } = press(state, ui, 4));
    expect(onSteps(state.scores[0])).to.deep.equal([0, 4, 16, 18]);
  });

  it('copy bar 1 to bar 2 re-links only when then every drum repeats; otherwise it copies the one drum', () => {
    let state = emptyGestureState();
    let ui = initialUi();
    ({ state, ui } = press(state, ui, 0)); // kick 1 (both bars)
    ({ state, ui } = press(state, ui, SHIFT_SNARE, true));
    ({ state, ui } = press(state, ui, 4)); // snare 5 (both bars)
    ui = flipPage(ui);
    ({ state, ui } = press(state, ui, 6)); // snare bar 2 on its own: unlinked
    ({ state, ui } = press(state, ui, 0, true)); // kick
    ({ state, ui } = press(state, ui, 10)); // kick bar 2 on its own
    expect(state.barsLinked).to.equal(false);
    ({ state, ui } = press(state, ui, SHIFT_COPY_BAR, true)); // kick: bar 2 = bar 1, but the snare still differs
    expect(onSteps(state.scores[0])).to.deep.equal([0, 16]);
    expect(onSteps(state.scores[1])).to.deep.equal([4, 20, 22]);
    expect(state.barsLinked).to.equal(false);
    ({ state, ui } = press(state, ui, SHIFT_SNARE, true));
    ({ state, ui } = press(state, ui, SHIFT_COPY_BAR, true)); // now everything repeats: linked again
    expect(onSteps(state.scores[1])).to.deep.equal([4, 20]);
    expect(state.barsLinked).to.equal(true);
    ui = flipPage(ui); // back on bar 1
    ({ state } = press(state, ui, 12));
    expect(onSteps(state.scores[1])).to.deep.equal([4, 12, 20, 28]);
  });

  it('reads back from JSON as it was; without the field (saved before linking) it is unlinked; a linked state whose bars differ is refused in one line', () => {
    let state = emptyGestureState();
    ({ state } = press(state, initialUi(), 3));
    expect(gestureStateFromJSON(JSON.parse(JSON.stringify(state)))).to.deep.equal(state);
    const { barsLinked: _dropped, ...old } = state;
    expect(gestureStateFromJSON(JSON.parse(JSON.stringify(old))).barsLinked).to.equal(false);
    const differs = {
      ...state,
      scores: state.scores.map((row) => (row ? row.map((v, i) => (i === 20 ? 1 : v)) : row)),
    };
    expect(() => gestureStateFromJSON(differs)).to.throw(
      TypeError,
      /^gestures\.barsLinked: true, but bar 2 differs from bar 1/,
    );
    expect(() => gestureStateFromJSON({ ...state, barsLinked: 'yes' })).to.throw(
      TypeError,
      /^gestures\.barsLinked: expected true or false, got "yes"$/,
    );
  });

  it('slots: a new slot keeps the flag; a slot file written before linking loads unlinked, and a bar-1 edit then leaves bar 2 alone', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-linked-'));
    try {
      const store = await SlotStore.open(dir, new MemoryLogs().factory('slots'));
      let linked = emptyGestureState();
      ({ state: linked } = press(linked, initialUi(), 0));
      const data: SlotData = { gestures: linked, loop: null, bpm: 100, model: 'ag11', temperature: 1, seed: 5 };
      await store.save(0, data);
      expect((await store.load(0))!.gestures.barsLinked).to.equal(true);
      expect(JSON.parse(fs.readFileSync(store.slotFile(0), 'utf8')).gestures.barsLinked).to.equal(true);

      // A slot as the box wrote it before linking: no barsLinked, kick on 1 in bar 1 only.
      const kick = new Array(32).fill(0);
      kick[0] = 1;
      const oldFile = {
        format: SLOT_FORMAT,
        gestures: {
          scores: [kick, null, null, null, null, null, null, null, null],
          groove: null,
          accent: null,
          accentSource: 'none',
        },
        loop: null,
        bpm: 100,
        model: 'ag11',
        temperature: 1,
        seed: 5,
      };
      fs.mkdirSync(store.slotDir(1), { recursive: true });
      fs.writeFileSync(store.slotFile(1), JSON.stringify(oldFile));
      const loaded = (await store.load(1))!.gestures;
      expect(loaded.barsLinked).to.equal(false);
      expect(onSteps(loaded.scores[0])).to.deep.equal([0]);
      const { state: edited } = press(loaded, initialUi(), 4);
      expect(onSteps(edited.scores[0])).to.deep.equal([0, 4]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
