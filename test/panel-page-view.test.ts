import { expect } from 'chai';
import { lcdState, messagesFor, programmedDiffers } from '../firmware-ts/panel/page/page-view.js';
import type { PanelSnapshot } from '../firmware-ts/panel/protocol.js';

/** A stopped box with kick on the quarters of bar 1 (given) and a loop that plays it in both bars. */
function snapshot(over: Partial<PanelSnapshot> = {}): PanelSnapshot {
  const kick = Array.from({ length: 32 }, (_, s) => (s < 16 && s % 4 === 0 ? 1 : 0));
  const notes = [0, 4, 8, 12, 16, 20, 24, 28].map((s) => [s, 0, 0.8, 0] as [number, number, number, number]);
  return {
    leds: [],
    playhead: null,
    playing: false,
    bpm: 120,
    page: 0,
    mode: 'score',
    drum: 0,
    gestures: {
      scores: [kick, null, null, null, null, null, null, null, null],
      groove: null,
      accent: null,
    } as unknown as PanelSnapshot['gestures'],
    pattern: { notes } as unknown as PanelSnapshot['pattern'],
    reconstructions: null,
    model: 'ag11',
    take: 'idle',
    generating: false,
    generations: 1,
    status: [],
    ...over,
  } as PanelSnapshot;
}

describe('panel page: what the LCD and the messages say', () => {
  it('counts in, records, generates, and asks for GENERATE only when the steps differ from what plays', () => {
    expect(lcdState(snapshot({ take: 'count-in', countIn: 3 }))).to.equal('count-in 3');
    expect(lcdState(snapshot({ take: 'count-in', countIn: 6 }))).to.equal('count-in');
    expect(lcdState(snapshot({ take: 'recording' }))).to.equal('recording');
    expect(lcdState(snapshot({ generating: true }))).to.equal('generating');
    // Linked bars: bar 1's kick plays in both bars, so nothing differs.
    expect(programmedDiffers(snapshot({ barsLinked: true }))).to.equal(false);
    expect(lcdState(snapshot({ barsLinked: true }))).to.equal('stopped');
    // Unlinked, bar 2 of the kick is given empty: the loop's bar-2 kicks are not what was programmed.
    expect(programmedDiffers(snapshot({ barsLinked: false }))).to.equal(true);
    expect(lcdState(snapshot({ barsLinked: false }))).to.equal('press GENERATE to hear your changes');
  });

  it('says one line when a take starts, one when it ends, one when a generation lands', () => {
    const groove = {
      hits: Array.from({ length: 32 }, (_, s) => (s % 8 === 0 ? 1 : 0)),
      velocities: new Array(32).fill(0.5),
      offsets: new Array(32).fill(0),
    };
    expect(messagesFor(null, snapshot())).to.deep.equal([]);
    expect(messagesFor(snapshot(), snapshot({ take: 'count-in' }))).to.have.length(1);
    expect(messagesFor(snapshot({ take: 'count-in' }), snapshot({ take: 'recording' }))).to.deep.equal([]);
    const ended = snapshot({ gestures: { ...snapshot().gestures, groove } as PanelSnapshot['gestures'] });
    expect(messagesFor(snapshot({ take: 'recording' }), ended)).to.deep.equal([
      'take recorded: 4 steps tapped; press GENERATE',
    ]);
    expect(messagesFor(snapshot({ generating: true }), snapshot({ generations: 2 }))).to.deep.equal([
      'generated a new loop with ag11: 8 notes; press PLAY',
    ]);
  });

  it("counts generations by the snapshot's counter: one that began and ended between two frames is still said, a failed one is not", () => {
    // Never seen generating: the counter moved all the same.
    expect(messagesFor(snapshot(), snapshot({ generations: 2 }))).to.deep.equal([
      'generated a new loop with ag11: 8 notes; press PLAY',
    ]);
    // Generating, then not, and no new loop (failed or superseded): nothing landed, nothing said.
    expect(messagesFor(snapshot({ generating: true }), snapshot())).to.deep.equal([]);
    expect(messagesFor(snapshot(), snapshot())).to.deep.equal([]);
  });
});
