import { expect } from 'chai';
import { OfflineAudioContext } from 'node-web-audio-api';
import { GrooveBox } from '../firmware-ts/box/box.js';
import { MemoryLogs } from '../firmware-ts/support/log.js';
import { SlotStore } from '../firmware-ts/box/slots.js';
import { GenerationEngine } from '../firmware-ts/engine/engine.js';
import { emptyGestureState, setStep } from '../firmware-ts/controls/state.js';
import { FakeMidiPort } from '../firmware-ts/outputs/midi/fake-midi-port.js';
import { MidiPortError } from '../firmware-ts/outputs/midi/midi-port.js';
import { NOTE_MAP_PRESETS } from '../firmware-ts/outputs/midi/note-map.js';
import type { MidiOut } from '../firmware-ts/outputs/midi/midi-out.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';
import { tempDir } from './helpers/box-fixtures.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('box faults: the MIDI cable is pulled and plugged back while the loop plays', function () {
  it('audio goes on, MIDI resumes within 1 s of the port coming back, nothing is left sounding', async () => {
    const clock = new OfflineClock();
    // Every (re)open gives a new port, as a USB interface does; while unplugged, opening fails.
    const ports: FakeMidiPort[] = [];
    let plugged = true;
    const open = async () => {
      if (!plugged) throw new MidiPortError('no such port: TR-8S', { unavailable: true });
      const port = new FakeMidiPort('TR-8S', () => clock.now() * 1000);
      ports.push(port);
      return port;
    };
    const logs = new MemoryLogs();
    // The audio kit on an offline context, rendered afterwards: what it played is what a card would have.
    // 22.05 kHz: the closed hat's noise lies above the Nyquist frequency of 8 kHz.
    const RATE = 22050;
    const context = new OfflineAudioContext({ numberOfChannels: 1, length: 9 * RATE, sampleRate: RATE });
    const box = new GrooveBox({
      clock,
      devices: { grid: null, tapPad: null, buttons: null, tempo: null },
      midi: { open, noteMap: NOTE_MAP_PRESETS.gm, sendClock: false, noteLength: 0.2, precise: false },
      audio: { context: context as unknown as BaseAudioContext, audible: false, gain: 0.8 },
      engineFactory: (config) => new GenerationEngine(config),
      slots: await SlotStore.open(tempDir('groovebox-faults-'), logs.factory('slots')),
      // No model folder: the box plays the programmed score (the fault is about MIDI, not the model).
      settings: {
        model: 'ag11',
        temperature: 1,
        switchAt: 'loop',
        stepVelocity: 0.8,
        autoplay: false,
        bpm: 120,
        backend: null,
        modelsDir: tempDir('groovebox-no-models-'),
      },
      logs: logs.factory,
    });
    await box.boot();
    let state = emptyGestureState();
    for (let step = 0; step < 32; step++) state = setStep(state, 2, step, true); // closed hat on every 16th
    box.capture.load(state);
    let notes = 0;
    box.sequencer.on((e) => {
      if (e.type === 'note') notes++;
    });
    const run = async (until: number) => {
      while (clock.now() < until) {
        clock.advance(0.005);
        await settle();
      }
    };
    box.play();
    await run(2);
    expect(ports).to.have.length(1);
    const before = notes;

    // The cable comes out in the middle of a note (note length 0.2 s > a 16th).
    plugged = false;
    ports[0].unplug();
    await run(5);
    expect(box.midi!.connected).to.equal(false);
    expect(notes - before, 'the sequencer (and so the audio) kept playing').to.be.greaterThan(20);
    expect(logs.count('lost', 'info') + logs.count('lost', 'warn')).to.equal(1);

    plugged = true;
    const back = clock.now();
    await run(back + 1);
    expect(box.midi!.connected, 'reconnected within 1 s').to.equal(true);
    const fresh = ports[ports.length - 1];
    expect(fresh).to.not.equal(ports[0]);
    // Before its first note, the new port is told to release everything on the drum channel.
    const firstNote = fresh.sent.findIndex((m) => (m.bytes[0] & 0xf0) === 0x90);
    const allOff = fresh.sent.findIndex((m) => m.bytes[0] === 0xb9 && m.bytes[1] === 123);
    expect(allOff, 'All Notes Off on channel 10').to.be.greaterThan(-1);
    expect(allOff).to.be.lessThan(firstNote);
    expect(firstNote, 'notes flow again').to.be.greaterThan(-1);
    expect(fresh.sent[firstNote].timeMs / 1000 - back).to.be.lessThan(1);

    await run(back + 3);
    // Rendered before the shutdown, which takes the kit out of the graph.
    const rendered = (await context.startRendering()).getChannelData(0);
    await box.shutdown();
    // Play the new port's messages into a model of the device: nothing may be left sounding.
    const sounding = new Set<number>();
    for (const { bytes } of fresh.sent) {
      const channel = bytes[0] & 0x0f,
        kind = bytes[0] & 0xf0;
      if (kind === 0x90 && bytes[2] > 0) sounding.add((channel << 8) | bytes[1]);
      else if (kind === 0x80 || kind === 0x90) sounding.delete((channel << 8) | bytes[1]);
      else if (kind === 0xb0 && bytes[1] === 123)
        for (const key of [...sounding]) if (key >> 8 === channel) sounding.delete(key);
    }
    expect([...sounding], 'no stuck notes on the device').to.deep.equal([]);
    expect((box.midi as MidiOut).soundingNotes()).to.deep.equal([]);

    // Audio went on while MIDI was out: a hat in every 16th (0.125 s) from 2.2 s to 5 s.
    const peak = (from: number, to: number) =>
      rendered.subarray(Math.round(from * RATE), Math.round(to * RATE)).reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    const silentSixteenths: number[] = [];
    for (let t = 2.25; t < 4.875; t += 0.125) if (peak(t, t + 0.125) < 0.01) silentSixteenths.push(t);
    expect(silentSixteenths, 'every 16th sounded while the cable was out').to.deep.equal([]);
  });
});
