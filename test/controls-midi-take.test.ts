import { expect } from 'chai';
import { GestureCapture } from '../firmware-ts/controls/capture.js';
import { nextMode } from '../firmware-ts/controls/editor.js';
import { FakeMidiInput } from '../firmware-ts/inputs/midi/midi-input.js';
import { NoteGestures, type MidiAccent } from '../firmware-ts/inputs/midi/note-gestures.js';
import { NoteDrumMap } from '../firmware-ts/inputs/midi/note-map-in.js';
import { DRUMS } from '../firmware-ts/pattern/drums.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';

const drum = (name: string) => (DRUMS as readonly string[]).indexOf(name);
const steps = (row: number[] | null | undefined) => (row ?? []).flatMap((v, i) => (v > 0.5 ? [i] : []));

/**
 * MIDI notes through the same take logic as the pad: the capture's REC, the
 * recorder's count-in and window (tested once, in controls-recorder), with a
 * fake MIDI input as the instrument and an offline clock.
 */
function rig(accent: MidiAccent = 'velocity', accentNote: number | null = null) {
  const clock = new OfflineClock(100);
  const capture = new GestureCapture({ clock, bpm: () => 120 }); // a 16th = 0.125 s; REC counts in one bar (2 s)
  const notes = new NoteGestures({ channel: 10, map: new NoteDrumMap(), accent, accentNote });
  notes.onStroke((s) => capture.handleHit(s));
  const input = new FakeMidiInput('Pads');
  notes.listen(input);
  /** A note on the step of the take, `late` seconds off the grid; seen by this thread `delay` late. */
  const play = (step: number, note: number, velocity: number, late = 0, delay = 0) => {
    const at = 102 + step * 0.125 + late;
    input.noteOn(10, note, velocity, at + delay, at + 500);
  };
  return { clock, capture, notes, input, play };
}

describe('controls: a take played on MIDI notes', () => {
  it('taps: notes become the groove with their timing and velocity, the same as the pad', () => {
    const { clock, capture, play } = rig('keep');
    capture.handleButton({ button: 'mode', pressed: true, time: 100 }); // accent view: notes are taps only
    const window = capture.rec()!;
    expect(window.start).to.equal(102);
    play(0, 61, 127);
    play(4, 61, 64, 0.025, 0.02); // 0.4 of half a step late; this thread saw it 20 ms later still
    play(8, 61, 32);
    clock.advanceTo(106.1);
    const g = capture.state.groove!;
    expect(steps(g.hits)).to.deep.equal([0, 4, 8]);
    expect(g.offsets[4]).to.be.closeTo(0.4, 1e-4);
    expect(g.velocities[4]).to.be.closeTo(64 / 127, 1e-4);
    expect(capture.state.scores.every((row) => row === null)).to.equal(true);
    expect(capture.state.accent).to.equal(null); // "keep": as the pad, the accent source is the box's (none)
  });

  it('score: in score mode the drums played become their given rows, quantized; the groove is every note', () => {
    const { clock, capture, play } = rig();
    capture.rec();
    for (const s of [0, 8, 16, 24]) play(s, 36, 100, 0.01);
    for (const s of [4, 12, 20, 28]) play(s, 38, 110, -0.01);
    for (let s = 0; s < 32; s += 2) play(s, 42, s % 4 === 0 ? 90 : 60);
    clock.advanceTo(106.1);
    const { scores, groove, barsLinked } = capture.state;
    expect(steps(scores[drum('kick')])).to.deep.equal([0, 8, 16, 24]);
    expect(steps(scores[drum('snare')])).to.deep.equal([4, 12, 20, 28]);
    expect(steps(scores[drum('closedHat')])).to.have.length(16);
    expect(scores[drum('ride')]).to.equal(null); // not played: still the model's
    expect(steps(groove!.hits)).to.have.length(16);
    expect(groove!.velocities[4]).to.be.closeTo(110 / 127, 1e-4); // the loudest on the step (snare over hat)
    expect(barsLinked).to.equal(true); // both bars alike: still linked
    expect(capture.takeDrums!.played.filter(Boolean)).to.have.length(3);
  });

  it('the per-take choice: a drum played can be left out, one not played given as "do not play"', () => {
    const { clock, capture, play } = rig();
    capture.handleKey({ key: 3, pressed: true, time: 100 }); // the kick programmed on the grid before the take
    capture.rec();
    play(0, 36, 100);
    play(6, 38, 100);
    clock.advanceTo(106.1);
    expect(steps(capture.state.scores[drum('kick')])).to.deep.equal([0]);
    expect(capture.setTakeGiven(drum('kick'), false)).to.equal(true);
    expect(steps(capture.state.scores[drum('kick')])).to.deep.equal([3, 19]); // its score before the take
    capture.setTakeGiven(drum('openHat'), true);
    expect(capture.state.scores[drum('openHat')]).to.deep.equal(new Array(32).fill(0)); // "no open hat"
    expect(capture.takeDrums!.given.map((g, d) => (g ? DRUMS[d] : '')).filter(Boolean)).to.deep.equal([
      'snare',
      'openHat',
    ]);
    capture.setTakeGiven(drum('kick'), true);
    expect(steps(capture.state.scores[drum('kick')])).to.deep.equal([0]);
    expect(capture.state.barsLinked).to.equal(false); // the take's bar 2 differs from its bar 1
  });

  it("accent from velocity: the paper's rule per drum (above that drum's mean + one standard deviation in the take)", () => {
    const { clock, capture, play } = rig('velocity');
    capture.rec();
    // Hats: loud on the beats only in bar 2; kick: all equal (no accent from it).
    for (let s = 0; s < 32; s += 2) play(s, 42, s >= 16 && s % 4 === 0 ? 120 : 60);
    for (const s of [0, 8, 16, 24]) play(s, 36, 127);
    clock.advanceTo(106.1);
    expect(steps(capture.state.accent)).to.deep.equal([16, 20, 24, 28]);
    expect(capture.state.accentSource).to.equal('taps');
  });

  it('accent from a dedicated note: its steps are the accent, and it is no tap', () => {
    const { clock, capture, play } = rig('note', 24);
    capture.handleButton({ button: 'mode', pressed: true, time: 100 });
    capture.rec();
    play(0, 61, 100);
    play(0, 24, 100);
    play(10, 24, 100);
    clock.advanceTo(106.1);
    expect(steps(capture.state.accent)).to.deep.equal([0, 10]);
    expect(capture.state.accentSource).to.equal('grid');
    expect(steps(capture.state.groove!.hits)).to.deep.equal([0]);
  });

  it('outside a take notes do nothing; a take armed in accent mode records no score', () => {
    const { clock, capture, play } = rig();
    play(0, 36, 100);
    expect(capture.state.groove).to.equal(null);
    const ui = nextMode(capture.ui);
    expect(ui.mode).to.equal('accent');
    capture.handleButton({ button: 'mode', pressed: true, time: 100 });
    capture.rec();
    play(0, 36, 100);
    clock.advanceTo(106.1);
    expect(capture.state.groove).to.not.equal(null);
    expect(capture.state.scores[drum('kick')]).to.equal(null);
    expect(capture.takeDrums).to.equal(null);
  });
});
