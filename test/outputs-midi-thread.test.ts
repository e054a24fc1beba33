import { expect } from 'chai';
import { allNotesOff } from '../firmware-ts/outputs/midi/messages.js';
import { NOTE_MAP_PRESETS } from '../firmware-ts/outputs/midi/note-map.js';
import { MidiThread, type MidiThreadOptions } from '../firmware-ts/outputs/midi/timing-thread.js';
import { Pattern } from '../firmware-ts/pattern/pattern.js';
import { Sequencer } from '../firmware-ts/sequencer/sequencer.js';
import { OfflineClock, SystemClock } from '../firmware-ts/time/clock.js';
import type { Witnessed } from '../firmware-ts/diagnostics/stall-witness.js';
import { hrNowMs } from '../firmware-ts/time/thread-clock.js';
import { eventually } from './helpers/eventually.js';
import { FAULTY_TIMING_WORKER, HANGING_NOW, type TimingFaults } from './helpers/faulty-timing-worker.js';

/** `at` is the send time as the timing thread reports it; `heard` is when this thread got the report, on its own clock. */
interface Sent {
  bytes: number[];
  due: number;
  at: number;
  heard: number;
}

/**
 * The timing thread keeps real time (it is the thing that keeps time), so
 * notes are handed to it ahead of their time, as the sequencer does, and these
 * tests wait for the sends; they assert what left and in which order, never
 * how soon. Its supervision (hang looks, restart waits) runs on `clock`, which
 * the tests step. `notes` is the clock note times are on. Faults come from a
 * test-only worker entry.
 */
function rig(extra: Partial<MidiThreadOptions> = {}, faults: TimingFaults = {}) {
  const sent: Sent[] = [];
  const logs: string[] = [];
  const clock = new OfflineClock();
  const midi = new MidiThread(
    {
      port: { kind: 'fake', name: 'fake', report: true },
      noteMap: NOTE_MAP_PRESETS.gm,
      sendClock: false,
      noteLength: 0.05,
      realtime: false,
      log: (m) => logs.push(m),
      onSent: (bytes, due, at) => sent.push({ bytes, due, at, heard: performance.now() / 1000 }),
      clock,
      hangWatch: { beatEvery: 0.02 },
      ...extra,
    },
    { file: FAULTY_TIMING_WORKER, data: faults },
  );
  /** After a crash: the restart waits its backoff (0.1 s for the first) on the stepped clock. */
  const restartAfter = async (crashes: number) => {
    await until(() => midi.restarts === crashes);
    clock.advance(0.1);
  };
  return { midi, sent, logs, clock, notes: new SystemClock(), restartAfter };
}

/** Notes reach the thread this far ahead of their time; one more than 20 ms late on arrival is dropped. */
const AHEAD = 0.3;

const until = (what: () => boolean) => eventually(what, 'the timing thread');

describe('outputs: MIDI on its own timing thread', function () {
  it('sends each note at its time on the main clock, converted across the threads, never early', async () => {
    const { midi, sent, notes } = rig();
    expect(await midi.connect()).to.equal(true);
    expect(midi.portName).to.equal('fake');
    const t = notes.now() + AHEAD;
    midi.handle({ type: 'note', time: t, drum: 0, velocity: 1, step: 0, offset: 0, position: 0 });
    midi.handle({ type: 'note', time: t + 0.02, drum: 1, velocity: 0.5, step: 0, offset: 0, position: 0 });
    await until(() => sent.length === 4);
    await midi.close();
    expect(sent.map((s) => s.bytes)).to.deep.equal([
      [0x99, 36, 127],
      [0x99, 38, 64],
      [0x89, 36, 0],
      [0x89, 38, 0],
    ]);
    const dues = [t, t + 0.02, t + 0.05, t + 0.07];
    sent.forEach((s, i) => expect(s.due).to.be.closeTo(dues[i], 1e-9));
    for (const s of sent) {
      expect(s.at, 'never before its time').to.be.at.least(s.due - 1e-6);
      // This thread's own clock, untouched by the conversion, heard of each send after it was due: a conversion
      // that made the thread early shows here (how soon after is a matter of load; the soak measures it).
      expect(s.heard).to.be.at.least(s.due);
    }
  });

  it('on stop and close: STOP and a note-off for every sounding note, then the thread ends', async () => {
    const { midi, sent, notes } = rig({ sendClock: true, noteLength: 2 });
    await midi.connect();
    const sequencer = new Sequencer({ clock: notes, bpm: 120, pattern: kickOnOne() });
    midi.attach(sequencer);
    sequencer.start();
    await until(() => sent.some((s) => s.bytes[0] === 0x99));
    sequencer.stop();
    await midi.close();
    const after = sent.slice(sent.findIndex((s) => s.bytes[0] === 0xfc));
    expect(after[0].bytes, 'STOP first').to.deep.equal([0xfc]);
    expect(after.slice(1).map((s) => s.bytes)).to.deep.include([0x89, 36, 0]);
    expect(midi.connected).to.equal(false);
  });

  it('a crashed thread is restarted, releases every note with All Notes Off and plays on', async () => {
    const { midi, sent, logs, notes, restartAfter } = rig({ sendClock: true }, { crashAfterSends: 1 });
    await midi.connect();
    const t = notes.now() + AHEAD;
    midi.handle({ type: 'note', time: t, drum: 0, velocity: 1, step: 0, offset: 0, position: 0 });
    await restartAfter(1);
    // The restarted thread says STOP (the transport was stopped): a note handed before that would be void at the stop.
    await until(() => sent.some((s) => s.bytes[0] === 0xfc));
    expect(logs.filter((l) => l.includes('timing thread stopped'))).to.deep.equal([
      'MIDI timing thread stopped (crash after 1 sends, as the test asked); restarting it in 0.1 s, with All Notes Off',
    ]);
    await until(() => sent.some((s) => s.bytes[0] === 0xb9));
    expect(sent.find((s) => s.bytes[0] === 0xb9)!.bytes).to.deep.equal(allNotesOff(10));
    const later = notes.now() + AHEAD;
    midi.handle({ type: 'note', time: later, drum: 1, velocity: 1, step: 0, offset: 0, position: 0 });
    await until(() => sent.some((s) => s.bytes[0] === 0x99 && s.bytes[1] === 38));
    await midi.close();
  });

  it('a cable pulled the way RtMidi on ALSA hides it (sends succeed into the void): noticed, and back after its return with All Notes Off first', async () => {
    const { midi, sent, logs, notes } = rig({ retryInterval: 0.5 }, { outage: { afterSends: 4, seconds: 1.2 } });
    await midi.connect();
    const sequencer = new Sequencer({ clock: notes, bpm: 120, pattern: kickOnEvery16th() });
    midi.attach(sequencer);
    sequencer.start();
    await until(() => logs.some((l) => l.includes('MIDI out back')));
    await until(() => sent.filter((s) => s.bytes[0] === 0x99).length > 4);
    sequencer.stop();
    await midi.close();
    expect(logs.filter((l) => l.includes('lost') && l.includes('no longer listed'))).to.have.length(1);
    const pulledAt = sent[3].at; // the port vanished right after its 4th send
    const release = sent.findIndex((s, i) => i > 3 && s.bytes[0] === 0xb9);
    expect(release, 'All Notes Off after the return').to.be.above(3);
    // Sends into the void still count as sent until the port list shows the loss; then none until the return.
    // (How soon after the return it is back is the retry interval's, tested on a stepped clock in outputs-midi.)
    expect(sent[release].bytes).to.deep.equal(allNotesOff(10));
    expect(sent[release].at, 'not before the port returned').to.be.above(pulledAt + 1.2);
    expect(
      sent.slice(release + 1).some((s) => s.bytes[0] === 0x99),
      'notes again',
    ).to.equal(true);
  });

  it('a thread that hangs (an endless loop, no crash to say so) is seen by its silent heartbeat, ended and restarted; notes come again', async () => {
    // No grace before a thread's first beat: whether the hung thread beat before it hung, the count is the same below.
    const { midi, sent, logs, notes, clock } = rig(
      { sendClock: true, noteLength: 5, hangWatch: { beatEvery: 0.02, lookEvery: 0.5, looks: 4, graceLooks: 0 } },
      { hangAfterSends: 1 },
    );
    await midi.connect();
    midi.handle({ type: 'note', time: notes.now() + AHEAD, drum: 0, velocity: 1, step: 0, offset: 0, position: 0 });
    await until(() => sent.length === 1 && logs.includes(HANGING_NOW));
    // Four looks in a row that find the heartbeat where it was: 2 s of silence on the stepped clock.
    for (let look = 1; look <= 3; look++) clock.advance(0.5);
    expect(midi.restarts, 'not judged after three looks').to.equal(0);
    clock.advance(0.5);
    clock.advance(0.5);
    expect(midi.restarts, 'judged by the fifth look at the latest').to.equal(1);
    expect(
      logs.some((m) =>
        /MIDI timing thread stopped \(hung: its event loop has not run for 2 s\); restarting it/.test(m),
      ),
      logs.join('\n'),
    ).to.equal(true);
    clock.advance(0.1); // the restart's backoff
    await until(() => sent.some((s) => s.bytes[0] === 0xfc)); // the restarted thread's STOP: notes handed from now on stand
    const t = notes.now() + AHEAD;
    midi.handle({ type: 'note', time: t, drum: 1, velocity: 1, step: 0, offset: 0, position: 0 });
    await until(() => sent.some((s) => s.bytes[0] === 0x99 && s.bytes[1] === 38));
    // More than four looks, each after a beat: the new thread is judged by its own beats, not by the count the hung one left.
    for (let look = 0; look < 6; look++) {
      const beat = midi.heartbeat;
      await until(() => midi.heartbeat !== beat);
      clock.advance(0.5);
    }
    await midi.close();
    expect(midi.restarts, 'the restarted thread beats: no second restart').to.equal(1);
    expect(
      sent.map((s) => s.bytes),
      'the note left hanging by the hung thread was released',
    ).to.deep.include(allNotesOff(10));
  });

  it('closing while a crashed thread waits to restart still releases every note before the end', async () => {
    const { midi, sent, notes } = rig({ noteLength: 5 }, { crashAfterSends: 1 });
    await midi.connect();
    midi.handle({ type: 'note', time: notes.now() + AHEAD, drum: 0, velocity: 1, step: 0, offset: 0, position: 0 });
    await until(() => midi.restarts === 1);
    await midi.close(); // within the backoff: the stepped clock has not moved
    expect(sent[0].bytes).to.deep.equal([0x99, 36, 127]);
    expect(
      sent.slice(1).map((s) => s.bytes),
      'the note-on was not left hanging',
    ).to.deep.include(allNotesOff(10));
  });

  it('after a restart the device hears the transport again: STOP when stopped, position + CONTINUE when playing', async () => {
    const stopped = rig({ sendClock: true }, { crashAfterSends: 1 });
    await stopped.midi.connect();
    stopped.midi.handle({
      type: 'note',
      time: stopped.notes.now() + AHEAD,
      drum: 0,
      velocity: 1,
      step: 0,
      offset: 0,
      position: 0,
    });
    await stopped.restartAfter(1);
    await until(() => stopped.sent.some((s) => s.bytes[0] === 0xfc));
    await stopped.midi.close();
    expect(
      stopped.sent.map((s) => s.bytes[0]),
      'note-on, then after the restart All Notes Off and STOP',
    ).to.deep.equal([0x99, 0xb9, 0xfc]);

    const playing = rig({ sendClock: true }, { crashAfterSends: 3 });
    await playing.midi.connect();
    const sequencer = new Sequencer({ clock: playing.notes, bpm: 120, pattern: kickOnOne() });
    playing.midi.attach(sequencer);
    sequencer.start();
    await playing.restartAfter(1);
    await until(() => playing.sent.some((s) => s.bytes[0] === 0xfb));
    sequencer.stop();
    await playing.midi.close();
    const i = playing.sent.findIndex((s) => s.bytes[0] === 0xfb);
    const spp = playing.sent[i - 1].bytes;
    expect(spp[0], 'song position right before CONTINUE').to.equal(0xf2);
    const sixteenths = spp[1] | (spp[2] << 7);
    expect(playing.sent[i + 1].bytes, 'the clock pulse on that 16th follows').to.deep.equal([0xf8]);
    expect(sixteenths, 'a 16th after the restart, not the start').to.be.greaterThan(0);
    expect(playing.sent[i + 1].due, 'on the grid time of that 16th').to.be.closeTo(playing.sent[i].due, 1e-9);
  });

  it('counts what it sent and how late, per window', async () => {
    const { midi, sent, notes } = rig();
    await midi.connect();
    const t = notes.now() + AHEAD;
    for (let i = 0; i < 5; i++)
      midi.handle({ type: 'note', time: t + i * 0.01, drum: 2, velocity: 0.8, step: i, offset: 0, position: i });
    await until(() => sent.length === 10);
    const first = await midi.figures(true);
    expect(first.lateness.events).to.equal(10); // 5 note-ons, 5 note-offs
    expect(first.lateness.p99_ms).to.be.at.least(first.lateness.p50_ms);
    expect(first.lateness.max_ms).to.be.at.least(first.lateness.p99_ms * 0.99);
    expect((await midi.figures()).lateness.events, 'the window was reset').to.equal(0);
    await midi.close();
  });

  it('witnesses its own wake-ups only when a soak asks, on the process-wide clock', async () => {
    const { midi } = rig();
    await midi.connect();
    expect((await midi.figures(true)).witness, 'the box never pays for the witness').to.equal(null);
    const asked = hrNowMs();
    // Threshold 0: every tick of its 1 ms timer that is at all late is a "stall", so some are sure to come;
    // windows are taken until one has.
    midi.witness(0);
    const gaps: Witnessed['gaps'] = [];
    let gcPauses: unknown = null;
    while (gaps.length === 0) {
      const { witness } = await midi.figures(true);
      expect(witness).to.not.equal(null);
      gaps.push(...witness!.gaps);
      gcPauses = witness!.gcPauses;
    }
    const answered = hrNowMs();
    for (const gap of gaps) {
      expect(gap.to).to.be.greaterThan(gap.from);
      expect(gap.from, "after it was asked, on this thread's hrtime").to.be.within(asked, answered);
      expect(gap.to).to.be.within(asked, answered);
    }
    expect(gcPauses).to.be.an('array');
    await midi.close();
  });
});

function kickOnOne(): Pattern {
  const p = new Pattern();
  p.set(0, 0, 1, 0);
  return p;
}

function kickOnEvery16th(): Pattern {
  const pattern = new Pattern();
  for (let step = 0; step < 32; step++) pattern.set(step, 0, 0.8, 0);
  return pattern;
}
