import { expect } from 'chai';
import { FakeMidiInput } from '../firmware-ts/inputs/midi/midi-input.js';
import { emptyBindings } from '../firmware-ts/inputs/midi/note-map-in.js';
import { MidiPortError } from '../firmware-ts/outputs/midi/midi-port.js';
import { meaningText, noteMessage } from '../firmware-ts/panel/page/page-midi-in.js';
import { PanelMessageError, parseClientMessage } from '../firmware-ts/panel/client-messages.js';
import { PanelServer } from '../firmware-ts/panel/server.js';
import { VirtualMidiInput } from '../firmware-ts/panel/virtual-midi-input.js';
import { MemoryLog } from '../firmware-ts/support/log.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';
import { nextEvent, PanelTestClient, wsUrl } from './helpers/panel-client.js';
import { tempDir, testBox } from './helpers/box-fixtures.js';
import { refusalOf } from './helpers/refusal.js';

const refusal = (message: unknown): string =>
  refusalOf(() => parseClientMessage(JSON.stringify(message)), message, PanelMessageError);

describe('panel: MIDI in (Web MIDI, MIDI-learn, the input, the take choice)', () => {
  it('parses the MIDI in messages and commands, and refuses anything else in one line', () => {
    expect(parseClientMessage('{"type":"midi","bytes":[153,36,100],"time":5}')).to.deep.equal({
      type: 'midi',
      bytes: [153, 36, 100],
      time: 5,
    });
    expect(parseClientMessage('{"type":"command","command":"midi-learn","drum":null}')).to.deep.include({ drum: null });
    expect(parseClientMessage('{"type":"command","command":"take-drum","drum":8,"given":false}')).to.deep.include({
      drum: 8,
      given: false,
    });
    expect(parseClientMessage('{"type":"command","command":"midi-input","port":"UM-ONE"}')).to.deep.include({
      port: 'UM-ONE',
    });
    expect(refusal({ type: 'midi', bytes: [0xf8, 0, 0], time: 1 })).to.equal(
      'bytes: expected a note-on or note-off as three bytes, got [248,0,0]',
    );
    expect(refusal({ type: 'midi', bytes: [0x90, 200, 1], time: 1 })).to.match(/^bytes: expected a note-on/);
    expect(refusal({ type: 'command', command: 'midi-learn', drum: 9 })).to.equal(
      'drum: expected an integer 0..8, got 9',
    );
    expect(refusal({ type: 'command', command: 'midi-input', port: '' })).to.match(/^port: expected a MIDI input name/);
  });

  it("Web MIDI notes from a page reach the panel's MIDI input on the daemon's clock", async () => {
    const clock = new OfflineClock(100);
    const server = new PanelServer({ port: 0, clock, log: new MemoryLog() });
    await server.start();
    const client = await PanelTestClient.open(wsUrl(server));
    // Answer the ping burst as a page whose clock reads 98 s behind the daemon's.
    for (let i = 0; i < 5; i++) {
      const ping = await client.next('ping');
      clock.advance(0.002);
      const pageMs = (clock.now() - 98) * 1000;
      clock.advance(0.002);
      client.send({ type: 'pong', id: ping.id, time: pageMs });
    }
    clock.advanceTo(101);
    const got = nextEvent<[readonly number[], number, number?]>((l) => server.devices.midiIn.onMessage(l));
    client.send({ type: 'midi', bytes: [0x99, 38, 90], time: (100.9 - 98) * 1000 });
    const [bytes, time, stamp] = await got;
    expect(bytes).to.deep.equal([0x99, 38, 90]);
    expect(time).to.be.closeTo(100.9, 1e-9);
    expect(stamp).to.equal(undefined); // the time is the arrival already
    await client.close();
    await server.close();
  });

  it('the page sends note messages only, at their own stamp', () => {
    expect(noteMessage(Uint8Array.from([0x99, 36, 100]), 50, 60)).to.deep.equal({
      type: 'midi',
      bytes: [0x99, 36, 100],
      time: 50,
    });
    expect(noteMessage(Uint8Array.from([0xf8]), 50, 60)).to.equal(null);
    expect(noteMessage(Uint8Array.from([0xb0, 7, 1]), 50, 60)).to.equal(null);
    expect(noteMessage(Uint8Array.from([0x89, 36, 0]), 0, 60)).to.deep.include({ time: 60 }); // no stamp: now
    expect(meaningText(0)).to.equal('kick');
    expect(meaningText(-1)).to.equal('tap');
    expect(meaningText('ignored')).to.equal('other channel');
  });

  it('the box: the panel picks the input, learns a drum, sees the notes, and chooses the given drums of a take', async () => {
    const web = new VirtualMidiInput();
    const inputs = new Map<string, FakeMidiInput>();
    const t = await testBox({
      modelsDir: tempDir('groovebox-no-models-'),
      noteInput: {
        port: null,
        channel: null,
        accent: 'velocity',
        accentNote: null,
        bindings: emptyBindings(),
        sources: [web],
        system: {
          list: async () => ['Pads A', 'Keys B'],
          input: (name) => ({
            open: async () => {
              if (name === 'Keys B') throw new MidiPortError('no MIDI input named "Keys B"', { disconnected: true });
              const input = new FakeMidiInput(name);
              inputs.set(name, input);
              return input;
            },
          }),
        },
      },
    });
    await t.box.boot();
    let midiIn = t.box.snapshot().midiIn!;
    expect(midiIn).to.deep.include({ port: null, connected: null, inputs: ['Pads A', 'Keys B'], learning: null });
    let refused = '';
    await t.box.command({ command: 'midi-input', port: 'Nope' }).catch((e: Error) => (refused = e.message));
    expect(refused).to.equal('no MIDI input named "Nope" (found: "Pads A", "Keys B")');
    await t.box.command({ command: 'midi-input', port: 'Pads A' });
    expect(t.box.snapshot().midiIn).to.deep.include({ port: 'Pads A', connected: 'Pads A' });
    await t.box.command({ command: 'take-drum', drum: 0, given: true }).catch((e: Error) => (refused = e.message));
    expect(refused).to.equal('no take played on drum notes to choose from yet');

    await t.box.command({ command: 'midi-learn', drum: 2 });
    expect(t.box.snapshot().midiIn!.learning).to.equal(2);
    inputs.get('Pads A')!.noteOn(1, 70, 100, t.clock.now(), t.clock.now());
    midiIn = t.box.snapshot().midiIn!;
    expect(midiIn.learning).to.equal(null);
    expect(midiIn.notes[2]).to.equal('70 ch 1');

    // A take: the browser's Web MIDI and the box's input play into the same take.
    await t.button('rec', true);
    await t.button('rec', false);
    const w = t.box.capture.recorder.window!;
    await t.run(w.start + 0.01);
    inputs.get('Pads A')!.noteOn(1, 70, 100, w.start, w.start);
    web.receive([0x99, 36, 110], w.start + w.stepDuration * 4);
    await t.run(w.end + 0.1);
    midiIn = t.box.snapshot().midiIn!;
    expect(midiIn.take!.played.flatMap((p, d) => (p ? [d] : []))).to.deep.equal([0, 2]);
    expect(midiIn.seen.map((n) => `${n.note} ${n.meaning} ${n.input}`)).to.deep.equal([
      '36 0 panel (Web MIDI)',
      '70 2 Pads A',
      '70 2 Pads A',
    ]);
    await t.box.command({ command: 'take-drum', drum: 0, given: false });
    expect(t.box.snapshot().gestures.scores[0]).to.equal(null);
    expect(t.box.snapshot().midiIn!.take!.given[0]).to.equal(false);
    // Switching inputs lets go of the old one; "Keys B" missing: said once, looked for every second.
    await t.box.command({ command: 'midi-input', port: 'Keys B' });
    expect(inputs.get('Pads A')!.closed).to.equal(true);
    expect(t.box.snapshot().midiIn).to.deep.include({ port: 'Keys B', connected: null });
    await t.run(t.clock.now() + 3);
    expect(t.logs.count('MIDI note input "Keys B" not available')).to.equal(1);
    await t.close();
  });
});
