import { expect } from 'chai';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {
  EasyMidiPort,
  openEasyMidiPort,
  toEasyMidiMessage,
  type EasyMidiOutput,
} from '../firmware-ts/outputs/midi/easymidi-port.js';
import { FakeMidiPort, ListedFakeMidiPort } from '../firmware-ts/outputs/midi/fake-midi-port.js';
import { MidiOut, type MidiOutOptions } from '../firmware-ts/outputs/midi/midi-out.js';
import { MidiPortError } from '../firmware-ts/outputs/midi/midi-port.js';
import {
  NOTE_MAP_PRESETS,
  NoteMapError,
  resolveNoteMap,
  validateNoteMap,
} from '../firmware-ts/outputs/midi/note-map.js';
import { SendLoop } from '../firmware-ts/outputs/midi/send-loop.js';
import { usbSoundDevices } from '../firmware-ts/outputs/midi/usb-replug.js';
import { toMidiVelocity } from '../firmware-ts/outputs/midi/velocity-curve.js';
import { Pattern } from '../firmware-ts/pattern/pattern.js';
import { Sequencer } from '../firmware-ts/sequencer/sequencer.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';

const KICK = 0,
  SNARE = 1,
  HAT = 2,
  RIDE = 8;

/** A MidiOut on an offline clock whose fake port stamps sends with that clock (in ms). */
function rig(options: Partial<MidiOutOptions> = {}, start = 0) {
  const clock = new OfflineClock(start);
  const port = new FakeMidiPort('fake', () => clock.now() * 1000);
  const logs: string[] = [];
  const midi = new MidiOut({ clock, open: async () => port, log: (m) => logs.push(m), ...options });
  return { clock, port, midi, logs };
}

const at = (port: FakeMidiPort) => port.sent.map((m) => [m.timeMs / 1000, m.bytes] as [number, number[]]);
const flush = () => new Promise((r) => setImmediate(r));

/** Closed hats on every 16th with microtiming: at 180 BPM and up, MIDI clock leaves no 20 ms gap. */
function swungHats(): Pattern {
  const pattern = new Pattern();
  for (let step = 0; step < 32; step++) pattern.set(step, HAT, 0.8, 0.1 * ((step % 3) - 1));
  return pattern;
}

/** A sequencer playing `pattern` into `midi`, and `run(until, dt)`: the offline clock stepped, I/O settled each step. */
function playing(clock: OfflineClock, midi: MidiOut, bpm: number, pattern: Pattern) {
  const sequencer = new Sequencer({ clock, bpm, pattern, warn: () => {} });
  midi.attach(sequencer);
  sequencer.start();
  const run = async (until: number, dt = 0.001) => {
    while (clock.now() < until) {
      clock.advance(dt);
      await flush();
    }
  };
  return { sequencer, run };
}

describe('outputs: MIDI bytes', () => {
  it('sends note-on at the note time and note-off noteLength later (GM: channel 10)', async () => {
    const { clock, port, midi } = rig({ noteLength: 0.03 });
    await midi.connect();
    midi.handle({ type: 'note', time: 1, drum: KICK, velocity: 1, step: 0, offset: 0, position: 0 });
    midi.handle({ type: 'note', time: 1.01, drum: SNARE, velocity: 0.5, step: 0, offset: 0.2, position: 0 });
    clock.advanceTo(0.999);
    expect(port.sent).to.have.length(0);
    clock.advanceTo(2);
    expect(at(port)).to.deep.equal([
      [1, [0x99, 36, 127]],
      [1.01, [0x99, 38, 64]],
      [1.03, [0x89, 36, 0]],
      [1.04, [0x89, 38, 0]],
    ]);
    expect(midi.soundingNotes()).to.deep.equal([]);
  });

  it('sends song position + start, a clock byte per pulse, and stop with note-offs for sounding notes', async () => {
    const { clock, port, midi } = rig({ noteLength: 1 });
    await midi.connect();
    const p = new Pattern().set(0, KICK, 1, 0).set(2, HAT, 1, 0).set(12, SNARE, 1, 0);
    const seq = new Sequencer({ clock, bpm: 120, pattern: p });
    midi.attach(seq);
    seq.start(0.5);
    clock.advanceTo(0.5 + 0.3); // kick (0.5) and hat (0.75) have sounded, snare (2.0) is queued
    seq.stop();
    clock.advanceTo(3);
    const bytes = port.sent.map((m) => m.bytes);
    expect(bytes.slice(0, 3)).to.deep.equal([[0xf2, 0, 0], [0xfa], [0xf8]]);
    expect(port.sent[1].timeMs / 1000).to.be.closeTo(0.5 - 0.0625, 1e-9); // start opens the first cell
    expect(port.sent[2].timeMs / 1000).to.be.closeTo(0.5, 1e-9); // first pulse on the downbeat
    const clocks = port.sent.filter((m) => m.bytes[0] === 0xf8);
    expect(clocks.length).to.equal(Math.floor(0.3 / (0.5 / 24)) + 1);
    const stopAt = port.sent.findIndex((m) => m.bytes[0] === 0xfc);
    expect(stopAt).to.be.greaterThan(0);
    expect(port.sent[stopAt].timeMs / 1000).to.be.closeTo(0.8, 1e-9);
    const after = bytes.slice(stopAt + 1);
    expect(after).to.have.deep.members([
      [0x89, 36, 0],
      [0x89, 42, 0],
    ]);
    expect(bytes.some((b) => b[0] === 0x99 && b[1] === 38)).to.equal(false); // the queued snare never left
    expect(midi.soundingNotes()).to.deep.equal([]);
  });

  it('sends the song position and continue when resuming', async () => {
    const { clock, port, midi } = rig();
    await midi.connect();
    midi.handle({ type: 'continue', time: 0.2, position: 200 });
    clock.advanceTo(1);
    expect(port.sent.map((m) => m.bytes)).to.deep.equal([[0xf2, 200 & 0x7f, 200 >> 7], [0xfb]]);
  });

  it('releases a retriggered note just before the new note-on', async () => {
    const { clock, port, midi } = rig({ noteLength: 0.5 });
    await midi.connect();
    midi.handle({ type: 'note', time: 0.1, drum: KICK, velocity: 1, step: 0, offset: 0, position: 0 });
    midi.handle({ type: 'note', time: 0.2, drum: KICK, velocity: 1, step: 1, offset: 0, position: 1 });
    clock.advanceTo(1);
    expect(at(port)).to.deep.equal([
      [0.1, [0x99, 36, 127]],
      [0.2, [0x89, 36, 0]],
      [0.2, [0x99, 36, 127]],
      [0.7, [0x89, 36, 0]],
    ]);
  });

  it('leaves clock bytes out when clock out is off', async () => {
    const { clock, port, midi } = rig({ sendClock: false });
    await midi.connect();
    const seq = new Sequencer({ clock, bpm: 120, pattern: new Pattern().set(0, KICK, 1) });
    midi.attach(seq);
    seq.start(0.2);
    clock.advanceTo(1);
    seq.stop();
    clock.advanceTo(2);
    expect(port.sent.map((m) => m.bytes[0])).to.deep.equal([0x99, 0x89]);
  });

  it('drops notes handed over more than 20 ms after their time (a stalled sender), as audio does; clock pulses still go', async () => {
    const { clock, port, midi, logs } = rig({ noteLength: 0.03 });
    await midi.connect();
    clock.advanceTo(1.2);
    // A main thread that stalled past the look-ahead hands over a burst of events at once.
    midi.handle({ type: 'note', time: 1.0, drum: KICK, velocity: 1, step: 0, offset: 0, position: 0 });
    midi.handle({ type: 'pulse', time: 1.0, pulse: 0 });
    midi.handle({ type: 'note', time: 1.185, drum: SNARE, velocity: 1, step: 1, offset: 0, position: 1 });
    midi.handle({ type: 'note', time: 1.25, drum: HAT, velocity: 1, step: 2, offset: 0, position: 2 });
    clock.advanceTo(2);
    expect(port.sent.map((m) => m.bytes)).to.deep.equal([
      [0xf8], // late, but a slave counts pulses
      [0x99, 38, 127], // 15 ms late: played at once
      [0x89, 38, 0],
      [0x99, 42, 127],
      [0x89, 42, 0],
    ]);
    expect(midi.late).to.equal(1);
    expect(logs.filter((l) => /after their time/.test(l))).to.have.length(1);
  });

  it('applies the velocity curve (never 0, which would be a note-off)', () => {
    expect(toMidiVelocity(0)).to.equal(1);
    expect(toMidiVelocity(0.5)).to.equal(64);
    expect(toMidiVelocity(0.25, { kind: 'gamma', gamma: 0.5 })).to.equal(64);
    expect(toMidiVelocity(0.1, { kind: 'fixed', velocity: 100 })).to.equal(100);
    expect(
      () =>
        new MidiOut({
          clock: new OfflineClock(),
          open: async () => new FakeMidiPort(),
          velocityCurve: { kind: 'gamma', gamma: -1 },
        }),
    ).to.throw(/velocityCurve\.gamma/);
  });
});

describe('outputs: note-map presets', () => {
  it('maps the nine drums for each machine', async () => {
    const first = async (preset: keyof typeof NOTE_MAP_PRESETS, drum: number, velocity = 1) => {
      const { clock, port, midi } = rig({ noteMap: NOTE_MAP_PRESETS[preset] });
      await midi.connect();
      midi.handle({ type: 'note', time: 0.1, drum, velocity, step: 0, offset: 0, position: 0 });
      clock.advanceTo(0.1);
      return port.sent[0].bytes;
    };
    expect(await first('gm', RIDE)).to.deep.equal([0x99, 51, 127]);
    expect(await first('tr-8s', 4)).to.deep.equal([0x99, 43, 127]); // low tom = LT 43
    expect(await first('digitakt', KICK)).to.deep.equal([0x90, 60, 127]); // track 1 on channel 1
    expect(await first('digitakt', SNARE)).to.deep.equal([0x91, 60, 127]);
    expect(await first('digitakt', RIDE)).to.deep.equal([0x97, 60, 127]); // track 8 on channel 8
    expect(await first('volca-beats', HAT)).to.deep.equal([0x99, 42, 127]);
    expect(await first('volca-beats', RIDE)).to.deep.equal([0x99, 67, 127]);
    const digitaktChannels = new Set(Object.values(NOTE_MAP_PRESETS.digitakt).map((t) => t.channel));
    expect([...digitaktChannels].sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('takes a preset with per-drum overrides', () => {
    const map = resolveNoteMap({ preset: 'tr-8s', drums: { ride: { note: 53 }, kick: { channel: 1 } } });
    expect(map.ride).to.deep.equal({ channel: 10, note: 53 });
    expect(map.kick).to.deep.equal({ channel: 1, note: 36 });
    expect(map.snare).to.deep.equal({ channel: 10, note: 38 });
  });

  it('takes only its own keys: a preset named like an Object property, or a "__proto__" override, is refused by name', () => {
    expect(() => resolveNoteMap({ preset: 'constructor' })).to.throw(
      NoteMapError,
      /noteMap\.preset: expected one of gm/,
    );
    const sneaky = JSON.parse('{"preset":"gm","drums":{"kick":{"__proto__":{"channel":5}}}}');
    expect(() => resolveNoteMap(sneaky)).to.throw(NoteMapError, /noteMap\.drums\.kick\.__proto__: unknown key/);
    expect(() => resolveNoteMap({ drums: { kick: { velocity: 3 } } })).to.throw(
      NoteMapError,
      /kick\.velocity: unknown key/,
    );
  });

  it('refuses a bad note map with one line naming the key', () => {
    const message = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).to.be.instanceOf(NoteMapError);
        return (e as Error).message;
      }
      throw new Error('expected a NoteMapError');
    };
    expect(message(() => resolveNoteMap({ drums: { snare: { note: 128 } } }))).to.equal(
      'noteMap.snare.note: expected an integer 0..127, got 128',
    );
    expect(message(() => resolveNoteMap({ drums: { kick: { channel: 0 } } }))).to.equal(
      'noteMap.kick.channel: expected an integer 1..16, got 0',
    );
    expect(message(() => resolveNoteMap({ drums: { ride: { channel: 17 } } }))).to.match(
      /^noteMap\.ride\.channel: .*1\.\.16, got 17$/,
    );
    expect(message(() => resolveNoteMap({ drums: { snaer: { note: 40 } } }))).to.match(
      /^noteMap\.drums\.snaer: unknown drum/,
    );
    expect(message(() => resolveNoteMap({ preset: 'tr909' }))).to.match(
      /^noteMap\.preset: expected one of gm, tr-8s, digitakt, volca-beats/,
    );
    expect(message(() => validateNoteMap({ ...NOTE_MAP_PRESETS.gm, crash: { channel: 10, note: -1 } }))).to.match(
      /^noteMap\.crash\.note/,
    );
    expect(
      () =>
        new MidiOut({
          clock: new OfflineClock(),
          open: async () => new FakeMidiPort(),
          noteMap: { ...NOTE_MAP_PRESETS.gm, openHat: { channel: 10, note: 200 } },
        }),
    ).to.throw(/openHat\.note/);
  });
});

describe('outputs: MIDI device coming and going', () => {
  it('says once that MIDI is unavailable, keeps accepting events, and picks the device up when it returns', async () => {
    const clock = new OfflineClock(0);
    const port = new FakeMidiPort('TR-8S', () => clock.now() * 1000);
    let attempts = 0;
    const logs: string[] = [];
    const midi = new MidiOut({
      clock,
      retryInterval: 1,
      log: (m) => logs.push(m),
      open: async () => {
        attempts++;
        if (attempts <= 3) throw new MidiPortError('Failed to initialise RtMidi', { unavailable: true });
        return port;
      },
    });
    expect(await midi.connect()).to.equal(false);
    midi.handle({ type: 'note', time: 0.5, drum: KICK, velocity: 1, step: 0, offset: 0, position: 0 });
    for (let t = 0; t < 3.5; t += 0.25) {
      clock.advanceTo(t);
      await flush();
    }
    expect(attempts).to.equal(4);
    expect(midi.connected).to.equal(true);
    expect(logs.filter((l) => l.includes('Failed to initialise RtMidi'))).to.have.length(1);
    expect(logs[logs.length - 1]).to.match(/back.*TR-8S/);
    expect(midi.dropped).to.equal(2); // the note-on and note-off that fell due while there was no device
    midi.handle({ type: 'note', time: 4, drum: SNARE, velocity: 1, step: 0, offset: 0, position: 0 });
    clock.advanceTo(4);
    expect(port.lastWrite).to.deep.equal([0x99, 38, 127]);
  });

  it('notices a pulled cable, logs it once and reconnects', async () => {
    const clock = new OfflineClock(0);
    const port = new FakeMidiPort('volca', () => clock.now() * 1000);
    const logs: string[] = [];
    const midi = new MidiOut({
      clock,
      retryInterval: 0.5,
      log: (m) => logs.push(m),
      open: async () => {
        port.reset();
        return port;
      },
    });
    await midi.connect();
    port.unplug();
    for (let i = 0; i < 4; i++)
      midi.handle({ type: 'note', time: 0.1 + i * 0.01, drum: KICK, velocity: 1, step: 0, offset: 0, position: 0 });
    clock.advanceTo(0.2);
    expect(midi.connected).to.equal(false);
    expect(logs.filter((l) => l.includes('lost'))).to.have.length(1);
    clock.advanceTo(0.75);
    await flush();
    expect(midi.connected).to.equal(true);
  });

  it('reconnects within 1 s while MIDI clock plays at 180 BPM, where no gap between sends is 20 ms long', async () => {
    const clock = new OfflineClock(0);
    const port = new FakeMidiPort('tr-8s', () => clock.now() * 1000);
    let plugged = true;
    const midi = new MidiOut({
      clock,
      retryInterval: 0.5,
      sendClock: true,
      log: () => {},
      open: async () => {
        if (!plugged) throw new MidiPortError('no such port: tr-8s', { unavailable: true });
        port.reset();
        return port;
      },
    });
    await midi.connect();
    const { sequencer, run } = playing(clock, midi, 180, swungHats());
    await run(1);
    plugged = false;
    port.unplug();
    await run(2);
    expect(midi.connected).to.equal(false);
    plugged = true;
    await run(3);
    expect(midi.connected, 'back within 1 s of the port').to.equal(true);
    sequencer.stop();
    midi.close();
  });

  it('notices a pulled cable that sends cannot see (RtMidi on ALSA) from the port list, and is back within 1 s of its return, All Notes Off first', async () => {
    const clock = new OfflineClock(0);
    const port = new ListedFakeMidiPort('TR-8S:TR-8S MIDI 1 24:0', () => clock.now() * 1000);
    const logs: string[] = [];
    const midi = new MidiOut({
      clock,
      retryInterval: 0.5,
      sendClock: true,
      log: (m) => logs.push(m),
      open: async () => {
        if (!port.present()) throw new MidiPortError('no MIDI output named "TR-8S"', { disconnected: true });
        port.reset(); // a new RtMidi output: open, and nothing recorded yet
        return port;
      },
    });
    await midi.connect();
    const pattern = new Pattern();
    for (let step = 0; step < 32; step += 2) pattern.set(step, KICK, 0.8, 0);
    const { sequencer, run } = playing(clock, midi, 120, pattern);
    await run(1);
    port.vanish();
    await run(1.6);
    expect(midi.connected, 'lost within 0.6 s, though every send succeeded').to.equal(false);
    expect(logs.filter((l) => l.includes('lost') && l.includes('no longer listed'))).to.have.length(1);
    await run(3);
    port.reappear();
    await run(4);
    expect(midi.connected, 'back within 1 s of the port').to.equal(true);
    const after = port.sent.map((m) => m.bytes);
    expect(after[0], 'All Notes Off first').to.deep.equal([0xb9, 123, 0]);
    expect(
      after.some((b) => b[0] === 0x99),
      'notes again',
    ).to.equal(true);
    sequencer.stop();
    midi.close();
    clock.advance(1);
    expect(clock.pendingTimers(), 'no presence check or retry left after close').to.equal(0);
  });

  it('looks for the port only in a gap between sends, also with MIDI clock at 240 BPM', async () => {
    const clock = new OfflineClock(0);
    const port = new ListedFakeMidiPort('TR-8S:TR-8S MIDI 1 24:0', () => clock.now() * 1000);
    const looks: number[] = [];
    const present = port.present.bind(port);
    port.present = () => {
      looks.push(clock.now());
      return present();
    };
    const midi = new MidiOut({ clock, sendClock: true, log: () => {}, open: async () => port });
    await midi.connect();
    const { sequencer, run } = playing(clock, midi, 240, swungHats());
    await run(5, 0.0002);
    sequencer.stop();
    midi.close();
    const sends = port.sent.map((m) => m.timeMs / 1000);
    expect(looks.length, 'about every 0.5 s').to.be.within(8, 10);
    for (const t of looks) {
      const next = sends.find((s) => s >= t);
      expect(
        next === undefined || next - t >= 0.005,
        `a look at ${t.toFixed(4)} s, ${next !== undefined ? ((next - t) * 1000).toFixed(2) : '-'} ms before a send`,
      ).to.equal(true);
    }
  });

  it('keeps the port when it refuses a message as unsendable (a bug, said once), and drops it only for a device fault', async () => {
    const { clock, port, midi, logs } = rig();
    await midi.connect();
    const original = port.send.bind(port);
    port.send = (bytes) => {
      if (bytes[0] === 0x99 && bytes[1] === 38) throw new Error('unsupported MIDI message');
      original(bytes);
    };
    for (const [t, drum] of [
      [0.1, SNARE],
      [0.2, SNARE],
      [0.3, KICK],
    ] as const)
      midi.handle({ type: 'note', time: t, drum, velocity: 1, step: 0, offset: 0, position: 0 });
    clock.advanceTo(0.5);
    expect(midi.connected).to.equal(true);
    expect(port.sent.some((m) => m.bytes[0] === 0x99 && m.bytes[1] === 36)).to.equal(true);
    expect(logs.filter((l) => l.includes('could not send'))).to.have.length(1);
    port.unplug(); // a MidiPortError: the device is gone
    midi.handle({ type: 'note', time: 0.6, drum: KICK, velocity: 1, step: 0, offset: 0, position: 0 });
    clock.advanceTo(0.65);
    expect(midi.connected).to.equal(false);
    expect(logs.filter((l) => l.includes('lost'))).to.have.length(1);
  });

  it('the easymidi driver hands RtMidi the very bytes of every message the box sends (notes, All Notes Off, clock, transport, song position)', async () => {
    // easymidi's real Output over a recorder in place of @julusian/midi's output (opening one needs
    // ALSA). easymidi hands system bytes over as strings ("248"); that library's sendMessage makes a
    // Buffer of them, so the recorder does too.
    const easymidi = createRequire(import.meta.url)('easymidi') as { Output: { prototype: object } };
    const wire: number[][] = [];
    const output = Object.assign(Object.create(easymidi.Output.prototype) as EasyMidiOutput, {
      name: 'stub',
      _output: {
        sendMessage: (bytes: (number | string)[]) => wire.push([...Buffer.from(bytes as number[])]),
        closePort: () => {},
      },
    });
    const clock = new OfflineClock(0);
    const recorder = new FakeMidiPort('recorder', () => clock.now() * 1000);
    const midi = new MidiOut({
      clock,
      sendClock: true,
      noteMap: NOTE_MAP_PRESETS.digitakt,
      log: () => {},
      open: async () => recorder,
    });
    await midi.connect();
    const pattern = new Pattern();
    for (let step = 0; step < 32; step++) pattern.set(step, step % 9, 0.2 + 0.025 * step, 0);
    const sequencer = new Sequencer({ clock, bpm: 150, pattern, warn: () => {} });
    midi.attach(sequencer);
    sequencer.start();
    for (let t = 0; t < 2.5; t += 0.01) clock.advanceTo(t);
    sequencer.stop();
    clock.advanceTo(3);
    sequencer.start();
    clock.advanceTo(3.5);
    midi.releaseAll();
    midi.close();
    const sent = recorder.sent.map((m) => m.bytes);
    const kinds = new Set(sent.map((b) => (b[0] < 0xf0 ? b[0] & 0xf0 : b[0])));
    expect([...kinds].sort((a, b) => a - b)).to.deep.equal([0x80, 0x90, 0xb0, 0xf2, 0xf8, 0xfa, 0xfc]);
    const port = new EasyMidiPort(output, null);
    for (const bytes of sent) port.send(bytes);
    expect(wire).to.deep.equal(sent);
  });

  it('the easymidi driver: an unsendable message is a plain error, a failing native send a lost device; a named port is present while the system lists it', () => {
    expect(() => toEasyMidiMessage([0xf0, 0x7e, 0xf7]))
      .to.throw(Error, 'unsupported MIDI message')
      .and.not.be.instanceOf(MidiPortError);
    let listed = ['TR-8S:TR-8S MIDI 1 24:0', 'Midi Through:Midi Through Port-0 14:0'];
    const failing = {
      name: 'TR-8S:TR-8S MIDI 1 24:0',
      close: () => {},
      send: () => {
        throw new Error('snd_seq_event_output failed');
      },
    };
    const port = new EasyMidiPort(failing, () => listed);
    expect(() => port.send([0x99, 36, 100]))
      .to.throw(MidiPortError)
      .with.property('disconnected', true);
    expect(port.present!()).to.equal(true);
    listed = ['Midi Through:Midi Through Port-0 14:0'];
    expect(port.present!()).to.equal(false);
    const unreadable = new EasyMidiPort(failing, () => {
      throw new Error('Failed to initialise RtMidi');
    });
    expect(unreadable.present!(), 'a list that cannot be read is no proof the device went').to.equal(true);
    expect(new EasyMidiPort(failing, null).present, 'the virtual port is not polled').to.equal(undefined);
  });

  it('the easymidi driver: a named port plugged back in between two looks at the list is gone too (its USB device number moved)', () => {
    const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-proc-asound-'));
    const card = (n: number, usbbus: string | null) => {
      fs.mkdirSync(path.join(proc, `card${n}`), { recursive: true });
      if (usbbus !== null) fs.writeFileSync(path.join(proc, `card${n}`, 'usbbus'), `${usbbus}\n`);
    };
    card(0, null); // the Pi's own audio: no USB
    card(1, '001/005');
    expect(usbSoundDevices(proc)).to.equal('card1 001/005');
    expect(usbSoundDevices(path.join(proc, 'missing')), 'no /proc/asound: nothing to tell').to.equal(null);
    const output = { name: 'UM-ONE:UM-ONE MIDI 1 24:0', close: () => {}, send: () => {} };
    const port = new EasyMidiPort(
      output,
      () => [output.name],
      () => usbSoundDevices(proc),
    );
    expect(port.present!()).to.equal(true);
    card(1, '001/006'); // pulled and back within half a second: same name, same card, a new device number
    expect(port.present!()).to.equal(false);
    const reopened = new EasyMidiPort(
      output,
      () => [output.name],
      () => usbSoundDevices(proc),
    );
    expect(reopened.present!()).to.equal(true);
    fs.rmSync(proc, { recursive: true, force: true });
  });

  it('the easymidi driver opens a port or fails with a MidiPortError (never anything else)', async () => {
    try {
      const port = await openEasyMidiPort({ virtualName: 'GrooveBox test' });
      port.close();
    } catch (error) {
      expect(error).to.be.instanceOf(MidiPortError);
      expect((error as MidiPortError).unavailable || (error as MidiPortError).disconnected).to.equal(true);
    }
  });
});

describe('outputs: send loop', () => {
  it('runs items at their time, in time order, same-time items in queue order', () => {
    const clock = new OfflineClock(0);
    const loop = new SendLoop({ clock });
    const ran: [number, string][] = [];
    for (const [t, name] of [
      [0.3, 'c'],
      [0.1, 'a'],
      [0.3, 'd'],
      [0.2, 'b'],
    ] as const)
      loop.schedule(t, () => ran.push([clock.now(), name]));
    clock.advanceTo(1);
    expect(ran).to.deep.equal([
      [0.1, 'a'],
      [0.2, 'b'],
      [0.3, 'c'],
      [0.3, 'd'],
    ]);
    expect(loop.size).to.equal(0);
  });

  it('keeps running when an item throws', () => {
    const clock = new OfflineClock(0);
    const errors: unknown[] = [];
    const loop = new SendLoop({ clock, onError: (e) => errors.push(e) });
    const ran: number[] = [];
    loop.schedule(0.1, () => {
      throw new Error('boom');
    });
    loop.schedule(0.2, () => ran.push(clock.now()));
    clock.advanceTo(1);
    expect(errors).to.have.length(1);
    expect(ran).to.deep.equal([0.2]);
  });
});
