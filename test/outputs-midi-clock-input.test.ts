import { expect } from 'chai';
import { ClockInputLink } from '../firmware-ts/outputs/midi/clock-input-link.js';
import { FakeMidiInput, openSystemMidiInput } from '../firmware-ts/outputs/midi/midi-input.js';
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
    expect(lines).to.deep.equal(['warn MIDI clock input "MPC" not available (no MIDI input named "MPC" (found: none)); the box keeps its own tempo and follows when it appears']);
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
    expect(lines.slice(1)).to.deep.equal(['warn MIDI clock input "MPC Live MIDI 1" has gone; playing on at 110 BPM until it is back']);
    state.plugged = true;
    await wait(1);
    expect(state.opened).to.have.length(2);
    master(96, 30);
    expect(sequencer.targetBpm).to.be.closeTo(96, 1e-6);
    expect(lines).to.have.length(3);
    link.close();
  });

  it('leaves no timer and no open input behind when closed, even mid-attempt', async () => {
    const { link, clock, state, wait } = rig();
    await link.start();
    await wait(2);
    link.close();
    expect(clock.pendingTimers()).to.equal(0);

    const second = rig();
    second.state.plugged = true;
    const starting = second.link.start();
    second.link.close();
    await starting;
    expect(second.state.opened.every((i) => i.closed)).to.equal(true);
    expect(second.clock.pendingTimers()).to.equal(0);
    expect(state.opened).to.have.length(0);
  });

  it('the system input opens a port or fails with a MidiPortError (never anything else)', async () => {
    try {
      const input = await openSystemMidiInput('GrooveBox test master that is not plugged in', new OfflineClock(0));
      input.close();
      expect.fail('no such input exists');
    } catch (error) {
      expect(error).to.be.instanceOf(MidiPortError);
      expect((error as MidiPortError).unavailable || (error as MidiPortError).disconnected).to.equal(true);
    }
  });
});
