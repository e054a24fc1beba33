import { expect } from 'chai';
import type { Stroke } from '../firmware-ts/controls/tap-recorder.js';
import { ArrivalClock } from '../firmware-ts/inputs/midi/arrival-clock.js';
import { FakeMidiInput } from '../firmware-ts/inputs/midi/midi-input.js';
import { NoteGestures, type NoteGestureOptions } from '../firmware-ts/inputs/midi/note-gestures.js';
import { NoteDrumMap } from '../firmware-ts/inputs/midi/note-map-in.js';
import { readNote } from '../firmware-ts/inputs/midi/note-messages.js';
import { NOTE_MAP_PRESETS } from '../firmware-ts/outputs/midi/note-map.js';
import { DRUMS } from '../firmware-ts/pattern/drums.js';

const drum = (name: string) => (DRUMS as readonly string[]).indexOf(name);

function rig(options: Partial<NoteGestureOptions> = {}) {
  const input = new FakeMidiInput('Pads');
  const notes = new NoteGestures({
    channel: null,
    map: new NoteDrumMap(),
    accent: 'velocity',
    accentNote: null,
    ...options,
  });
  const strokes: Stroke[] = [];
  notes.onStroke((s) => strokes.push(s));
  const stop = notes.listen(input);
  return { input, notes, strokes, stop };
}

describe('MIDI in: notes as gestures', () => {
  it('reads note-ons and note-offs (velocity 0 is an off), and nothing else', () => {
    expect(readNote([0x99, 36, 100])).to.deep.equal({ on: true, channel: 10, note: 36, velocity: 100 });
    expect(readNote([0x90, 60, 0])).to.deep.equal({ on: false, channel: 1, note: 60, velocity: 0 });
    expect(readNote([0x8f, 60, 64])!.on).to.equal(false);
    expect(readNote([0xf8])).to.equal(null);
    expect(readNote([0xb0, 7, 100])).to.equal(null);
    expect(readNote([0x90, 60])).to.equal(null);
  });

  it("times a note at the driver's arrival stamp, not when this thread got to it", () => {
    const { input, strokes } = rig();
    // The driver's clock runs 1000 s ahead of ours. The first notes come to this thread at once, the last 30 ms late.
    for (let i = 0; i < 4; i++) input.noteOn(10, 42, 80, 10 + i * 0.25, 1010 + i * 0.25);
    input.noteOn(10, 38, 127, 11.03, 1011);
    expect(strokes.map((s) => s.time)).to.deep.equal([10, 10.25, 10.5, 10.75, 11]);
    expect(strokes[4].velocity).to.equal(1);
    expect(strokes[4].drum).to.equal(drum('snare'));
    expect(strokes[0].velocityAccent).to.equal(true);
  });

  it('an input without stamps is timed when this thread sees it', () => {
    const clock = new ArrivalClock();
    expect(clock.toOurClock(5, undefined)).to.equal(5);
    expect(clock.toOurClock(6, Number.NaN)).to.equal(6);
  });

  it('takes only the chosen channel; the panel still sees the others, marked ignored', () => {
    const { input, strokes, notes } = rig({ channel: 10 });
    input.noteOn(1, 36, 90, 1);
    input.noteOn(10, 36, 90, 2);
    input.noteOff(10, 36, 2.1);
    expect(strokes).to.have.length(1);
    expect(strokes[0]).to.include({ time: 2, drum: drum('kick') });
    expect(notes.seen().map((n) => n.meaning)).to.deep.equal([drum('kick'), 'ignored']);
  });

  it('maps notes to drums: the box output map, then General MIDI on any channel, then the other presets', () => {
    const gm = new NoteDrumMap(NOTE_MAP_PRESETS.gm);
    expect(gm.drumOf(10, 36)).to.equal(drum('kick'));
    expect(gm.drumOf(1, 37)).to.equal(drum('snare')); // side stick: the dataset's reduction
    expect(gm.drumOf(10, 45)).to.equal(drum('lowTom')); // the box's own map says so (the dataset's reduction: mid tom)
    expect(gm.drumOf(3, 60)).to.equal(drum('closedHat')); // a Digitakt's track 3
    expect(gm.drumOf(10, 61)).to.equal(-1);
    const digitakt = new NoteDrumMap(NOTE_MAP_PRESETS.digitakt);
    expect(digitakt.drumOf(6, 65)).to.equal(drum('highTom'));
    expect(digitakt.drumOf(6, 60)).to.equal(drum('midTom'));
  });

  it('a note that is no drum is still a tap of the groove', () => {
    const { input, strokes } = rig();
    input.noteOn(1, 61, 64, 3);
    expect(strokes).to.have.length(1);
    expect(strokes[0].drum).to.equal(undefined);
    expect(strokes[0].velocity).to.be.closeTo(64 / 127, 1e-9);
  });

  it('MIDI-learn: the next note plays the drum, leaves the drum it played, and teaches without playing', () => {
    const learned: string[] = [];
    const { input, strokes, notes } = rig({
      onLearned: (_map, d, b) => learned.push(`${DRUMS[d]} ${b.note} ${b.channel}`),
    });
    notes.learn(drum('ride'));
    expect(notes.learning).to.equal(drum('ride'));
    input.noteOn(10, 36, 100, 1);
    expect(strokes).to.have.length(0);
    expect(learned).to.deep.equal(['ride 36 10']);
    expect(notes.learning).to.equal(null);
    input.noteOn(10, 36, 100, 2);
    expect(strokes[0].drum).to.equal(drum('ride'));
    expect(notes.map.labels()[drum('ride')]).to.equal('36 ch 10');
    // Teaching the kick the same note takes it from the ride.
    notes.learn(drum('kick'));
    input.noteOn(10, 36, 100, 3);
    expect(notes.map.bindings[drum('ride')]).to.equal(null);
    input.noteOn(10, 36, 100, 4);
    expect(strokes[1].drum).to.equal(drum('kick'));
  });

  it('the accent note marks a step and is no tap; strokes then do not ask for the velocity rule', () => {
    const { input, strokes } = rig({ accent: 'note', accentNote: 24 });
    input.noteOn(10, 24, 100, 1);
    input.noteOn(10, 36, 100, 1);
    expect(strokes[0]).to.deep.equal({ time: 1, velocity: 100 / 127, accent: true });
    expect(strokes[1].velocityAccent).to.equal(undefined);
  });

  it('a pulled controller disarms a learn; stopping lets go of the input', () => {
    const { input, notes, stop } = rig();
    notes.learn(drum('snare'));
    notes.dropped();
    expect(notes.learning).to.equal(null);
    expect(input.listeners).to.equal(1);
    stop();
    expect(input.listeners).to.equal(0);
  });
});
