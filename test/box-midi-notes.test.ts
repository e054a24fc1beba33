import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { parseLearned } from '../firmware-ts/box/note-input.js';
import { FakeMidiInput } from '../firmware-ts/inputs/midi/midi-input.js';
import { emptyBindings } from '../firmware-ts/inputs/midi/note-map-in.js';
import { MidiPortError } from '../firmware-ts/outputs/midi/midi-port.js';
import { tempDir, testBox } from './helpers/box-fixtures.js';
import { refusalOf } from './helpers/refusal.js';

const steps = (row: number[] | null | undefined) => (row ?? []).flatMap((v, i) => (v > 0.5 ? [i] : []));

/** A pad controller that can be pulled and plugged in again: `plugged` decides whether opening finds it. */
function pads() {
  const state = { plugged: true, opened: [] as FakeMidiInput[] };
  return {
    state,
    get input() {
      return state.opened[state.opened.length - 1];
    },
    open: async () => {
      if (!state.plugged) throw new MidiPortError('no MIDI input named "Pads" (found: none)', { disconnected: true });
      const input = new FakeMidiInput('Pads MIDI 1');
      state.opened.push(input);
      return input;
    },
  };
}

/** A box taking notes on channel 10 from no port, its MIDI-learn kept in `<stateDir>/midi-learn.json`. */
function boxLearningInto(stateDir: string): ReturnType<typeof testBox> {
  return testBox({
    modelsDir: tempDir('groovebox-no-models-'),
    stateDir,
    noteInput: {
      port: null,
      channel: 10,
      accent: 'velocity',
      accentNote: null,
      bindings: emptyBindings(),
      learnFile: path.join(stateDir, 'midi-learn.json'),
    },
  });
}

describe('box: MIDI notes as gestures (midi.input)', () => {
  it('REC, the count-in and a take played on MIDI notes: the groove and the score of the drums played', async () => {
    const controller = pads();
    const stateDir = tempDir('groovebox-state-');
    const t = await testBox({
      modelsDir: tempDir('groovebox-no-models-'),
      stateDir,
      noteInput: {
        port: { name: 'Pads', open: controller.open },
        channel: 10,
        accent: 'velocity',
        accentNote: null,
        bindings: emptyBindings(),
        learnFile: path.join(stateDir, 'midi-learn.json'),
      },
    });
    await t.box.boot();
    expect(t.logs.lines.some((l) => l.message.includes('taking notes from "Pads MIDI 1"'))).to.equal(true);
    await t.button('rec', true);
    await t.button('rec', false);
    const window = t.box.capture.recorder.window!;
    expect(t.box.capture.recorder.phase()).to.equal('count-in');
    // The driver's clock runs 50 s behind the box's; this thread sees some notes at once, others up to 30 ms late.
    const note = async (step: number, n: number, v: number) => {
      const at = window.start + step * window.stepDuration;
      await t.run(at + (step % 8 === 4 ? 0.03 : step % 8 === 6 ? 0.012 : 0));
      controller.input.noteOn(10, n, v, t.clock.now(), at - 50);
    };
    for (let s = 0; s < 32; s += 4) await note(s, 36, 110);
    for (let s = 2; s < 32; s += 4) await note(s, 38, 90);
    await t.run(window.end + 0.1);
    const { scores, groove } = t.box.capture.state;
    expect(steps(scores[0])).to.deep.equal([0, 4, 8, 12, 16, 20, 24, 28]);
    expect(steps(scores[1])).to.deep.equal([2, 6, 10, 14, 18, 22, 26, 30]);
    expect(steps(groove!.hits)).to.have.length(16);
    // The offsets: the arrival stamps are on the grid; only the offline clock's sample steps (1/860 s) remain.
    for (let s = 0; s < 32; s += 2)
      expect(Math.abs(groove!.offsets[s]) * window.stepDuration * 0.5).to.be.below(0.0013);
    await t.close();
    expect(controller.input.closed).to.equal(true);
  });

  it('a controller pulled mid-take: one line, the take ends on time with the notes it got, nothing stays armed; back within a second', async () => {
    const controller = pads();
    const t = await testBox({
      modelsDir: tempDir('groovebox-no-models-'),
      noteInput: {
        port: { name: 'Pads', open: controller.open },
        channel: null,
        accent: 'keep',
        accentNote: null,
        bindings: emptyBindings(),
      },
    });
    await t.box.boot();
    t.box.notes!.learn(3);
    await t.button('rec', true);
    await t.button('rec', false);
    const window = t.box.capture.recorder.window!;
    await t.run(window.start + 0.001);
    controller.input.noteOn(10, 61, 100, t.clock.now(), t.clock.now());
    controller.input.noteOn(10, 61, 100, t.clock.now(), t.clock.now()); // teaches the open hat (learn was armed)
    t.box.notes!.learn(1);
    // Pulled: the note-off never comes, the input is unlisted.
    controller.state.plugged = false;
    controller.input.gone = true;
    await t.run(window.start + 1.5);
    const gone = t.logs.lines.filter((l) => l.message.includes('has gone')).map((l) => l.message);
    expect(gone).to.have.length(1);
    expect(gone[0]).to.include('MIDI note input "Pads MIDI 1" has gone; a take under way ends with the notes it has');
    expect(t.box.notes!.gestures.learning).to.equal(null);
    await t.run(window.end + 0.1);
    expect(t.box.capture.recorder.phase()).to.equal('idle');
    expect(steps(t.box.capture.state.groove!.hits)).to.deep.equal([0]);
    // Missing for a few seconds: no more lines. Plugged in again: one line, and notes flow.
    await t.run(t.clock.now() + 3);
    expect(t.logs.count('Pads')).to.equal(2);
    controller.state.plugged = true;
    await t.run(t.clock.now() + 1.1);
    expect(t.logs.count('taking notes from')).to.equal(2);
    expect(t.box.notes!.view().connected).to.equal('Pads MIDI 1');
    expect(controller.state.opened[0].listeners).to.equal(0);
    await t.close();
  });

  it('one input serves both: the clock input brings the notes too', async () => {
    const master = new FakeMidiInput('MPC Live MIDI 1');
    const stateDir = tempDir('groovebox-state-');
    const t = await testBox({
      modelsDir: tempDir('groovebox-no-models-'),
      stateDir,
      clockInput: { name: 'MPC', open: async () => master },
      noteInput: {
        port: 'clock',
        channel: 10,
        accent: 'velocity',
        accentNote: null,
        bindings: emptyBindings(),
        learnFile: path.join(stateDir, 'midi-learn.json'),
      },
    });
    await t.box.boot();
    expect(
      t.logs.lines.some((l) => l.message.includes('following the MIDI clock and taking notes from "MPC Live MIDI 1"')),
    ).to.equal(true);
    t.box.notes!.learn(8);
    master.noteOn(10, 51, 100, t.clock.now(), t.clock.now());
    expect(t.box.notes!.view().notes[8]).to.equal('51'); // on the chosen channel: no channel of its own
    expect(t.box.notes!.view().seen[0]).to.include({ note: 51, meaning: 8 });
    await t.close();
    // What was learned is kept, and read back by the next box.
    const kept = JSON.parse(fs.readFileSync(path.join(stateDir, 'midi-learn.json'), 'utf8'));
    expect(kept).to.deep.equal({ format: 'groovebox-midi-learn-1', drums: { ride: { note: 51, channel: null } } });
    const again = await boxLearningInto(stateDir);
    await again.box.boot();
    expect(again.box.notes!.view().notes[8]).to.equal('51');
    await again.close();
  });

  it("a learn file that cannot be used: one line naming the file, the key and the value; the config's notes play, and the file is set aside, not overwritten", async () => {
    const stateDir = tempDir('groovebox-state-');
    const learnFile = path.join(stateDir, 'midi-learn.json');
    const boxWithLearnFile = () => boxLearningInto(stateDir);
    const configNotes = await (async () => {
      const t = await boxWithLearnFile();
      await t.box.boot();
      const notes = t.box.notes!.view().notes;
      await t.close();
      return notes;
    })();
    // The kick's note is fine, the ride's is not: the file is taken whole or not at all.
    const bad =
      '{"format":"groovebox-midi-learn-1","drums":{"kick":{"note":37,"channel":null},"ride":{"note":200,"channel":null}}}';
    for (const [text, line] of [
      [
        bad,
        `${learnFile}: drums.ride.note = 200: expected an integer 0..127; kept as ${learnFile}.corrupt; using the config's notes`,
      ],
      ['{"format":"groovebox-midi-learn-1","drums":', null],
    ] as const) {
      const asideAs = line ? `${learnFile}.corrupt` : `${learnFile}.corrupt-1`;
      fs.writeFileSync(learnFile, text);
      const t = await boxWithLearnFile();
      await t.box.boot();
      expect(t.box.notes!.view().notes).to.deep.equal(configNotes);
      const said = t.logs.lines.filter((l) => l.message.includes('midi-learn.json'));
      expect(said.map((l) => l.level)).to.deep.equal(['warn']);
      if (line) expect(said[0].message).to.equal(line);
      else {
        expect(said[0].message.startsWith(`${learnFile}: not valid JSON (`)).to.equal(true);
        expect(said[0].message.endsWith(`); kept as ${asideAs}; using the config's notes`)).to.equal(true);
      }
      await t.close();
      expect(fs.existsSync(learnFile)).to.equal(false);
      expect(fs.readFileSync(asideAs, 'utf8'), 'kept as it was').to.equal(text);
    }
  });

  it('the learn file, checked: each refusal names the file, the key, the value and what was expected', () => {
    const file = '/var/lib/groovebox/midi-learn.json';
    const learned = (drums: unknown) => JSON.stringify({ format: 'groovebox-midi-learn-1', drums });
    const refusal = (text: string): string => refusalOf(() => parseLearned(text, file), text);
    const kept = parseLearned(learned({ kick: { note: 0, channel: 16 }, ride: { note: 127, channel: null } }), file);
    expect(kept).to.deep.equal([{ note: 0, channel: 16 }, ...new Array(7).fill(null), { note: 127, channel: null }]);
    expect(parseLearned(learned({}), file)).to.deep.equal(emptyBindings());
    // Keys this box does not know (a newer box's) are left out, not refused.
    expect(
      parseLearned(
        JSON.stringify({
          format: 'groovebox-midi-learn-1',
          drums: { snare: { note: 40, channel: 1, velocity: 3 } },
          by: 'x',
        }),
        file,
      )[1],
    ).to.deep.equal({ note: 40, channel: 1 });

    // A wrong type, a value out of range, a missing key, an unknown drum.
    expect(refusal(learned({ ride: { note: '51', channel: null } }))).to.equal(
      `${file}: drums.ride.note = "51": expected an integer 0..127`,
    );
    expect(refusal(learned({ ride: { note: 51.5, channel: null } }))).to.equal(
      `${file}: drums.ride.note = 51.5: expected an integer 0..127`,
    );
    expect(refusal(learned({ ride: { note: 128, channel: null } }))).to.equal(
      `${file}: drums.ride.note = 128: expected an integer 0..127`,
    );
    expect(refusal(learned({ snare: { note: 38, channel: 17 } }))).to.equal(
      `${file}: drums.snare.channel = 17: expected an integer 1..16 or null`,
    );
    expect(refusal(learned({ snare: { note: 38 } }))).to.equal(
      `${file}: drums.snare.channel = (missing): expected an integer 1..16 or null`,
    );
    expect(refusal(learned({ snare: { channel: 10 } }))).to.equal(
      `${file}: drums.snare.note = (missing): expected an integer 0..127`,
    );
    expect(refusal(learned({ snare: null }))).to.equal(
      `${file}: drums.snare = null: expected an object { note, channel }`,
    );
    expect(refusal(learned({ cowbell: { note: 56, channel: null } }))).to.equal(
      `${file}: drums.cowbell = {"note":56,"channel":null}: expected a drum name (kick, snare, closedHat, openHat, lowTom, midTom, highTom, crash, ride)`,
    );
    expect(refusal(learned({ constructor: { note: 1, channel: null } }))).to.equal(
      `${file}: drums.constructor = {"note":1,"channel":null}: expected a drum name (kick, snare, closedHat, openHat, lowTom, midTom, highTom, crash, ride)`,
    );
    expect(refusal(learned([]))).to.equal(`${file}: drums = []: expected an object keyed by drum name`);
    expect(refusal('{"format":"groovebox-midi-learn-1"}')).to.equal(
      `${file}: drums = (missing): expected an object keyed by drum name`,
    );
    expect(refusal('{"format":"groovebox-midi-learn-2","drums":{}}')).to.equal(
      `${file}: format = "groovebox-midi-learn-2": expected "groovebox-midi-learn-1"`,
    );
    expect(refusal('"midi-learn"')).to.equal(`${file}: (top level) = "midi-learn": expected a JSON object`);
    expect(refusal('{"format":')).to.match(/^\/var\/lib\/groovebox\/midi-learn\.json: not valid JSON \(.+\)$/);
  });
});
