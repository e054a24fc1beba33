import { expect } from 'chai';
import { ClockInputLink } from '../firmware-ts/inputs/midi/clock-input-link.js';
import {
  FakeMidiInput,
  systemMidiInput,
  type NativeMidiInput,
  type NativeMidiInputClass,
} from '../firmware-ts/inputs/midi/midi-input.js';
import { MidiPortError } from '../firmware-ts/outputs/midi/midi-port.js';
import { Pattern } from '../firmware-ts/pattern/pattern.js';
import { Sequencer } from '../firmware-ts/sequencer/sequencer.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';

const settle = () => new Promise((r) => setImmediate(r));

/** A master clock input that can be unplugged: `plugged` decides whether opening finds it. */
function rig() {
  const clock = new OfflineClock(0);
  const sequencer = new Sequencer({ clock, bpm: 100, pattern: new Pattern() });
  const lines: string[] = [];
  const state = { plugged: false, opened: [] as FakeMidiInput[] };
  const link = new ClockInputLink({
    name: 'MPC',
    clock,
    sequencer,
    log: { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`) },
    open: async () => {
      if (!state.plugged) throw new MidiPortError('no MIDI input named "MPC" (found: none)', { disconnected: true });
      const input = new FakeMidiInput('MPC Live MIDI 1');
      state.opened.push(input);
      return input;
    },
  });
  /** Steps the clock second by second, letting each reopen attempt settle. */
  const wait = async (seconds: number) => {
    for (let i = 0; i < seconds; i++) {
      clock.advance(1);
      await settle();
    }
  };
  /** The master plays `beats` beats of clock at `bpm` on the newest input. */
  const master = (bpm: number, pulses: number) => {
    const input = state.opened[state.opened.length - 1];
    for (let i = 0; i < pulses; i++) {
      clock.advance(60 / bpm / 24);
      input.emit([0xf8], clock.now(), clock.now());
    }
  };
  return { clock, sequencer, lines, state, link, wait, master };
}

describe('MIDI clock input link (follow a master through cable pulls)', () => {
  it('says once that the input is missing, then follows it from the second it appears', async () => {
    const { link, lines, state, wait, master, sequencer } = rig();
    await link.start();
    await wait(5);
    expect(lines).to.deep.equal([
      'warn MIDI clock input "MPC" not available (no MIDI input named "MPC" (found: none)); the box keeps its own tempo and follows when it appears',
    ]);
    expect(link.connected).to.equal(null);
    state.plugged = true;
    await wait(1);
    expect(link.connected).to.equal('MPC Live MIDI 1');
    expect(lines[1]).to.equal('info following the MIDI clock from "MPC Live MIDI 1"');
    state.opened[0].emit([0xfa], 0);
    master(132, 48);
    expect(sequencer.playing).to.equal(true);
    expect(sequencer.targetBpm).to.be.closeTo(132, 1e-6);
    link.close();
  });

  it('notices a pulled cable, plays on at the last tempo, and follows again when it is back', async () => {
    const { link, lines, state, wait, master, sequencer } = rig();
    state.plugged = true;
    await link.start();
    state.opened[0].emit([0xfa], 0);
    master(110, 48);
    expect(sequencer.playing).to.equal(true);
    state.plugged = false;
    state.opened[0].gone = true;
    await wait(4);
    expect(state.opened[0].closed).to.equal(true);
    expect(link.connected).to.equal(null);
    expect(sequencer.playing, 'losing the master does not stop the show').to.equal(true);
    expect(lines.slice(1)).to.deep.equal([
      'warn MIDI clock input "MPC Live MIDI 1" has gone; playing on at 110 BPM until it is back',
    ]);
    state.plugged = true;
    await wait(1);
    expect(state.opened).to.have.length(2);
    master(96, 30);
    expect(sequencer.targetBpm).to.be.closeTo(96, 1e-6);
    expect(lines.slice(2)).to.deep.equal([
      'info following the MIDI clock from "MPC Live MIDI 1"',
      // It played on while the cable was out: where it is now, only its next Start will say.
      "info the master's pulses were missed while it played: following its tempo, not its place, until its next Start",
    ]);
    link.close();
  });

  it('leaves no timer and no open input behind when closed, even mid-attempt', async () => {
    const { link, clock, wait } = rig();
    await link.start();
    await wait(2);
    link.close();
    expect(clock.pendingTimers()).to.equal(0);

    const second = rig();
    second.state.plugged = true;
    const starting = second.link.start();
    second.link.close();
    await starting;
    expect(second.state.opened).to.have.length(1);
    expect(second.state.opened[0].closed, 'the input that opened after close() is closed').to.equal(true);
    expect(second.clock.pendingTimers()).to.equal(0);
  });

  it('opens a silent input again (a quick unplug and replug keeps the name but kills the subscription), quietly; not while clock flows', async () => {
    const { link, lines, state, wait, master } = rig();
    state.plugged = true;
    await link.start();
    for (let s = 0; s < 5; s++) master(120, 48); // 5 s of clock: the same input all along
    await wait(0);
    expect(state.opened).to.have.length(1);
    await wait(3); // silence (the cable glitched, or a master that sends no clock while stopped)
    expect(state.opened.length).to.be.at.least(2);
    expect(state.opened[0].closed).to.equal(true);
    expect(lines, 'routine: no log line').to.have.length(1);
    const newest = state.opened.length;
    master(120, 24);
    expect(link.bpm, 'the reopened input is followed').to.be.closeTo(120, 1e-6);
    expect(state.opened).to.have.length(newest);
    link.close();
  });
});

/** A stand-in for @julusian/midi's Input class: a port list, instances that record what they are asked, a way to deliver. */
function fakeBinding(ports: string[], system = { alsa: true, lists: 0 }) {
  const made: FakeNative[] = [];
  class FakeNative implements NativeMidiInput {
    listener: ((deltaTime: number, bytes: number[]) => void) | null = null;
    ignored: boolean[] = [];
    open: number | null = null;
    failOpen = false;
    destroyed = false;
    constructor() {
      made.push(this);
    }
    static getPortNames(): string[] {
      system.lists++;
      if (!system.alsa) throw new Error('Failed to initialise RtMidi');
      return [...ports];
    }
    on(_event: 'message', listener: (deltaTime: number, bytes: number[]) => void) {
      this.listener = listener;
    }
    ignoreTypes(...flags: boolean[]) {
      this.ignored = flags;
    }
    getPortCount() {
      return ports.length;
    }
    getPortName(i: number) {
      return ports[i];
    }
    openPort(i: number) {
      if (this.failOpen) throw new Error('Internal RtMidi error');
      this.open = i;
    }
    closePort() {
      this.open = null;
    }
    destroy() {
      this.destroyed = true;
    }
    deliver(deltaTime: number, bytes: number[]) {
      this.listener?.(deltaTime, bytes);
    }
  }
  return { Input: FakeNative as unknown as NativeMidiInputClass, made, system };
}

describe('MIDI clock input on the system (RtMidi through @julusian/midi, faked at its binding)', () => {
  it("matches a part of the name, keeps timing messages, stamps with the clock and with the sum of RtMidi's deltas", async () => {
    const clock = new OfflineClock(10);
    const ports = ['Midi Through:Midi Through Port-0 14:0', 'UM-ONE:UM-ONE MIDI 1 24:0'];
    const { Input, made } = fakeBinding(ports);
    const system = systemMidiInput(
      'UM-ONE',
      clock,
      () => Input,
      async () => true,
    );
    const input = await system.open();
    expect(input.name).to.equal('UM-ONE:UM-ONE MIDI 1 24:0');
    expect(made).to.have.length(1);
    expect(made[0].open).to.equal(1);
    expect(made[0].ignored, 'sysex and active sensing dropped, clock kept').to.deep.equal([true, false, true]);
    const got: [number[], number, number | undefined][] = [];
    input.onMessage((bytes, time, deviceTime) => got.push([[...bytes], time, deviceTime]));
    made[0].deliver(0, [0xfa]);
    clock.advance(0.05); // this thread sees the next two late, together
    made[0].deliver(0.02, [0xf8]);
    made[0].deliver(0.02, [0xf8]);
    expect(got.map(([b]) => b)).to.deep.equal([[0xfa], [0xf8], [0xf8]]);
    expect(got.map(([, t]) => t)).to.deep.equal([10, 10.05, 10.05]);
    expect(got[1][2]! - got[0][2]!).to.be.closeTo(0.02, 1e-12);
    expect(got[2][2]! - got[1][2]!).to.be.closeTo(0.02, 1e-12);
    expect(input.present!()).to.equal(true);
    ports.pop();
    expect(input.present!()).to.equal(false);
    system.dispose();
    expect(made[0].destroyed).to.equal(true);
  });

  it('one RtMidi input serves every reopening (a new one per attempt would never be collected); a failed open closes the port', async () => {
    const ports: string[] = [];
    const { Input, made } = fakeBinding(ports);
    const system = systemMidiInput(
      'UM-ONE',
      new OfflineClock(0),
      () => Input,
      async () => true,
    );
    for (let i = 0; i < 5; i++) {
      const error = await system.open().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(MidiPortError);
      expect((error as MidiPortError).message).to.equal('no MIDI input named "UM-ONE" (found: none)');
    }
    expect(made, 'an absent master costs no input at all').to.have.length(0);
    ports.push('UM-ONE:UM-ONE MIDI 1 24:0');
    const first = await system.open();
    const heard: number[][] = [];
    first.onMessage((bytes) => heard.push([...bytes]));
    made[0].failOpen = true;
    const error = await system.open().then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as MidiPortError).unavailable).to.equal(true);
    expect(made[0].open, 'closed after the failed open').to.equal(null);
    made[0].deliver(0, [0xf8]);
    expect(heard, 'the closed input hears nothing').to.deep.equal([]);
    made[0].failOpen = false;
    const again = await system.open();
    expect(again.name).to.equal('UM-ONE:UM-ONE MIDI 1 24:0');
    expect(made).to.have.length(1);
    again.close();
    expect(made[0].open).to.equal(null);
    system.dispose();
  });

  it('without an ALSA sequencer RtMidi is not asked at all (each attempt prints lines from C) until /dev/snd/seq appears', async () => {
    const { Input, system } = fakeBinding(['UM-ONE:UM-ONE MIDI 1 24:0'], { alsa: false, lists: 0 });
    let sequencer = false;
    const input = systemMidiInput(
      'UM-ONE',
      new OfflineClock(0),
      () => Input,
      async () => sequencer,
    );
    for (let i = 0; i < 5; i++) {
      const error = await input.open().then(
        () => null,
        (e: unknown) => e,
      );
      expect((error as MidiPortError).unavailable).to.equal(true);
      expect((error as MidiPortError).message).to.equal('no ALSA sequencer, /dev/snd/seq is missing; modprobe snd-seq');
    }
    expect(system.lists, 'never asked').to.equal(0);
    sequencer = true;
    system.alsa = true;
    const opened = await input.open();
    expect(opened.name).to.equal('UM-ONE:UM-ONE MIDI 1 24:0');
    expect(system.lists).to.equal(1);
    input.dispose();
  });

  it('the real binding opens the input or fails with a MidiPortError (never anything else)', async () => {
    const system = systemMidiInput('GrooveBox test master that is not plugged in', new OfflineClock(0));
    const error = await system.open().then(
      (input) => {
        input.close();
        return null;
      },
      (e: unknown) => e,
    );
    system.dispose();
    expect(error, 'no such input exists').to.be.instanceOf(MidiPortError);
    expect((error as MidiPortError).unavailable || (error as MidiPortError).disconnected).to.equal(true);
  });
});
