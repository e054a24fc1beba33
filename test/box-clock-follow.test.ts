import { expect } from 'chai';
import { FakeMidiInput } from '../firmware-ts/inputs/midi/midi-input.js';
import { noteOns, tempDir, testBox } from './helpers/box-fixtures.js';

const KICK_NOTE = 36;

describe('box: following a master MIDI clock (midi.follow)', () => {
  it('the master starts the box, sets its tempo and stops it; shutdown lets go of the input', async () => {
    const master = new FakeMidiInput('MPC Live MIDI 1');
    const t = await testBox({
      modelsDir: tempDir('groovebox-no-models-'),
      clockInput: { name: 'MPC', open: async () => master },
    });
    await t.box.boot();
    await t.button('shift', true);
    await t.press(0);
    await t.button('shift', false); // the kick
    for (const step of [0, 4, 8, 12]) await t.press(step); // four on the floor in bar 1, repeated in bar 2 (linked bars)
    expect(t.box.sequencer.playing).to.equal(false);

    // The master's own pulse times (what RtMidi stamps); the box's clock only moves in ADC-sample steps.
    let masterTime = 0;
    const pulses = async (bpm: number, count: number) => {
      for (let i = 0; i < count; i++) {
        masterTime += 60 / bpm / 24;
        await t.run(masterTime);
        master.emit([0xf8], t.clock.now(), masterTime);
      }
    };
    masterTime = t.clock.now();
    await pulses(150, 24); // the master's clock runs before it starts: the box listens, does not play
    expect(t.box.sequencer.playing).to.equal(false);
    master.emit([0xfa], t.clock.now(), t.clock.now());
    const from = t.clock.now();
    const downbeat = masterTime + 60 / 150 / 24; // the master's first pulse after Start
    await pulses(150, 24 * 8);
    expect(t.box.sequencer.playing).to.equal(true);
    expect(t.box.snapshot().bpm).to.be.closeTo(150, 1e-6);
    expect(t.box.snapshot().status).to.include('following the MIDI clock from "MPC Live MIDI 1"');
    // The knob cannot win against the master: the box says so instead of seeming to ignore it.
    await t.box.command({ command: 'tempo', bpm: 90 });
    expect(t.box.snapshot().bpm).to.be.closeTo(150, 1e-6);
    expect(t.box.snapshot().status[0]).to.equal('the tempo follows "MPC Live MIDI 1"');
    const kicks = noteOns(t.port, from)
      .filter((n) => n.note === KICK_NOTE)
      .map((n) => n.time);
    expect(kicks).to.have.length(8);
    // On the master's beats, as near as this test's clock can tell (it moves in steps, the master's stamps do not):
    // the first leaves as soon as its pulse is seen, up to a step late; from there on, a beat apart exactly (in bar 1).
    for (let i = 0; i < kicks.length; i++)
      expect(kicks[i] - (downbeat + 0.4 * i), `beat ${i}`).to.be.within(-0.002, 0.002);
    for (let i = 2; i < 4; i++)
      expect(kicks[i] - kicks[i - 1], "one beat at the master's 150 BPM").to.be.closeTo(0.4, 1e-6);

    // The performer stops the box and starts it again while the master plays: it comes back in on the master's beats.
    await t.button('play', true);
    await t.button('play', false);
    expect(t.box.sequencer.playing).to.equal(false);
    await pulses(150, 10);
    await t.button('play', true);
    await t.button('play', false);
    const rejoined = t.clock.now();
    await pulses(150, 24 * 16);
    const again = noteOns(t.port, rejoined)
      .filter((n) => n.note === KICK_NOTE)
      .map((n) => n.time);
    expect(again).to.have.length.of.at.least(4);
    for (const kick of again) {
      const beats = (kick - downbeat) / 0.4;
      expect(Math.abs(beats - Math.round(beats)) * 0.4, 'on a beat of the master').to.be.below(0.002);
    }

    master.emit([0xfc], t.clock.now(), t.clock.now());
    const stoppedAt = t.clock.now();
    await pulses(150, 48);
    expect(t.box.sequencer.playing).to.equal(false);
    expect(noteOns(t.port, stoppedAt + 0.2), "nothing after the master's Stop (past the look-ahead)").to.have.length(0);
    await t.close();
    expect(master.closed).to.equal(true);
  });
});
