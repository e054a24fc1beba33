import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SequencerEvent } from '../../sequencer/events.js';
import { PULSES_PER_STEP as PULSES_PER_16TH, type Sequencer } from '../../sequencer/sequencer.js';
import { RestartSupervisor } from '../../support/supervisor.js';
import type { Clock, Seconds } from '../../time/clock.js';
import type { Witnessed } from '../../diagnostics/stall-witness.js';
import { hrMinusPerf } from '../../time/thread-clock.js';
import { TIMING_THREAD_PRIORITY } from '../../time/thread-priority.js';
import type { MidiSink } from './midi-sink.js';
import type { NoteMap } from './note-map.js';
import type {
  FromTimingThread,
  LatenessFigures,
  MidiPortSpec,
  StallFigures,
  TimingThreadConfig,
  ToTimingThread,
} from './timing-protocol.js';

/**
 * See #spawn. A thread past its limit is ended by V8 and restarted like a crash,
 * with All Notes Off; the limit is best-effort (some allocations past it abort the
 * whole process, nodejs/node#47224, and --max-old-space-size on node's command
 * line overrides it, nodejs/node#43991: the unit and npm start pass neither).
 */
const TIMING_THREAD_HEAP = { maxYoungGenerationSizeMb: 3, maxOldGenerationSizeMb: 8 };

/**
 * When a thread whose heartbeat has not moved is hung and restarted. Judged
 * by consecutive looks rather than by elapsed time, so a process that was
 * paused as a whole (both threads) is given several looks after it resumes
 * before the thread is judged.
 */
export interface HangWatch {
  /** How often the thread beats, and how often the main thread looks. */
  beatEvery: Seconds;
  lookEvery: Seconds;
  /** Looks in a row that found the heartbeat where it was. */
  looks: number;
  /** Extra looks a new thread gets before its first beat (loading its modules, on a busy Pi at boot). */
  graceLooks: number;
}

const HANG_WATCH: HangWatch = { beatEvery: 0.25, lookEvery: 0.5, looks: 4, graceLooks: 6 };

/**
 * Restarts wait 0.1 s, doubling to 5 s while the thread keeps crashing; one
 * that ran a minute starts over.
 */
const RESTART_BACKOFF = { first: 0.1, max: 5 };
const HEALTHY_AFTER: Seconds = 60;

/** How long close() waits for the thread's goodbye: SIGTERM gives the whole exit 1 s. */
const CLOSE_WAIT: Seconds = 0.3;

/** Real timers that do not keep the process alive: a MidiThread nobody closed must not hold up an exit. */
const unrefClock: Clock = {
  now: () => performance.now() / 1000,
  setTimeout(fn, delay) {
    const handle = setTimeout(fn, Math.max(0, delay * 1000));
    handle.unref();
    return () => clearTimeout(handle);
  },
};

const WORKER_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'timing-worker.js');

export interface MidiThreadOptions {
  port: MidiPortSpec;
  noteMap: NoteMap;
  sendClock: boolean;
  noteLength: Seconds;
  retryInterval?: Seconds;
  /** SCHED_FIFO priority of the timing thread; false for normal scheduling. Default 50. */
  realtime?: number | false;
  log?: (message: string) => void;
  /** Every message as it leaves, on this thread's clock (fake port with `report` only: tests). */
  onSent?: (bytes: number[], due: Seconds, at: Seconds) => void;
  /**
   * The clock of the supervision: hang looks, restart waits, the close deadline (tests step one).
   * Note times are not on it: they are on the performance clock the thread converts from.
   */
  clock?: Clock;
  hangWatch?: Partial<HangWatch>;
}

/** A worker entry other than the product's (tests: an entry with faults), with data of its own. */
export interface TimingThreadEntry {
  file: string;
  data?: unknown;
}

export interface TimingFigures {
  lateness: LatenessFigures;
  stalls: StallFigures;
  /** V8 heap the timing thread's isolate uses and has committed (for soaks). */
  heapMB: number;
  heapCommittedMB: number;
  /** After witness(), on a reset: the window's stalls and GC pauses; otherwise null. */
  witness: Witnessed | null;
}

/** The answer to a request the thread can no longer give. */
export class TimingThreadDown extends Error {
  override name = 'TimingThreadDown';
}

interface Reply {
  resolve: (message: FromTimingThread) => void;
  reject: (error: Error) => void;
}

/**
 * MIDI out on its own thread. MIDI bytes carry no timestamps, so the thread
 * that sends them *is* the timing; here it does nothing else, at real-time
 * priority, while the main thread runs the sequencer, panel, devices and the
 * audio graph. The sequencer works 100 ms ahead, so its events reach the
 * thread well before they are due; a main-thread pause shorter than that
 * look-ahead moves no note. A crashed thread is restarted with All Notes Off,
 * and so is a hung one (its heartbeat stops: see #lookForHang).
 */
export class MidiThread implements MidiSink {
  readonly #options: MidiThreadOptions;
  readonly #log: (message: string) => void;
  readonly #entry: TimingThreadEntry;
  readonly #clock: Clock;
  readonly #watch: HangWatch;
  readonly #supervisor: RestartSupervisor;
  #worker: Worker;
  #pending: SequencerEvent[] = [];
  #flushQueued = false;
  #nextId = 1;
  readonly #replies = new Map<number, Reply>();
  #connected = false;
  #portName: string | null = null;
  #realtime: number | null = null;
  #closing = false;
  #restarts = 0;
  /** Between a crash and the restart: nothing to talk to. */
  #down = false;
  /** The transport as the sequencer last left it, for a restarted thread to pick up. */
  #playing = false;
  /** After a restart while playing: tell the device where we are at the next 16th (song position + continue). */
  #resync = false;
  /** The witness threshold a soak asked for, for a restarted thread (null: never asked). */
  #witnessMs: number | null = null;
  readonly #heartbeat = new Int32Array(new SharedArrayBuffer(4));
  #lastBeat = 0;
  /** Looks in a row that found the heartbeat where it was (negative: a new thread's grace before its first beat). */
  #quietLooks: number;
  /** Hung threads told to terminate that have not ended yet; `stuck`: one more hung while one had not. */
  #unended = 0;
  #stuck = false;
  #cancelLook: () => void = () => {};

  constructor(options: MidiThreadOptions, entry: TimingThreadEntry = { file: WORKER_FILE }) {
    this.#options = options;
    this.#log = options.log ?? ((m) => process.stderr.write(`groovebox:midi ${m}\n`));
    this.#entry = entry;
    this.#clock = options.clock ?? unrefClock;
    this.#watch = { ...HANG_WATCH, ...options.hangWatch };
    this.#quietLooks = -this.#watch.graceLooks;
    this.#supervisor = new RestartSupervisor({
      clock: this.#clock,
      backoff: RESTART_BACKOFF,
      healthyAfter: HEALTHY_AFTER,
    });
    this.#worker = this.#spawn(false);
    this.#scheduleLook();
  }

  /** The heartbeat's count: it moves while the thread's event loop runs (for tests and status). */
  get heartbeat(): number {
    return Atomics.load(this.#heartbeat, 0);
  }

  get connected(): boolean {
    return this.#connected;
  }

  get portName(): string | null {
    return this.#portName;
  }

  /** SCHED_FIFO priority the thread runs at, null if it could not get one (as last reported). */
  get realtime(): number | null {
    return this.#realtime;
  }

  /** Times the thread crashed and was restarted. */
  get restarts(): number {
    return this.#restarts;
  }

  attach(sequencer: Sequencer): () => void {
    return sequencer.on((event) => this.handle(event));
  }

  /** Queues an event; events of one turn of the event loop go over in one message. */
  handle(event: SequencerEvent): void {
    if (this.#closing) return;
    if (event.type === 'start' || event.type === 'continue') {
      this.#playing = true;
      this.#resync = false;
    } else if (event.type === 'stop') {
      this.#playing = false;
      this.#resync = false;
    } else if (event.type === 'pulse' && this.#resync && event.pulse % PULSES_PER_16TH === 0) {
      // A restarted thread missed START: the device hears where the loop is, then CONTINUE, on this 16th.
      this.#resync = false;
      this.#pending.push({ type: 'continue', time: event.time, position: event.pulse / PULSES_PER_16TH });
    }
    this.#pending.push(event);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
  }

  async connect(): Promise<boolean> {
    try {
      const reply = await this.#request({ type: 'connect', id: this.#nextId++ });
      return reply.type === 'connected' && reply.ok;
    } catch {
      return false;
    }
  }

  /** Lateness of sent messages and stalls of the thread since the last reset; rejects with TimingThreadDown after a crash. */
  async figures(reset = false): Promise<TimingFigures> {
    const reply = await this.#request({ type: 'figures', id: this.#nextId++, reset });
    if (reply.type !== 'figures') throw new Error(`timing thread: expected figures, got ${reply.type}`);
    return {
      lateness: reply.lateness,
      stalls: reply.stalls,
      heapMB: reply.heapMB,
      heapCommittedMB: reply.heapCommittedMB,
      witness: reply.witness,
    };
  }

  /**
   * Soaks: the thread starts recording its wake-ups later than `thresholdMs` and
   * its GC pauses, returned with each reset of the figures. A 1 ms timer on the
   * timing thread, so the box never asks. A restarted thread is asked again.
   */
  witness(thresholdMs: number): void {
    this.#witnessMs = thresholdMs;
    this.#worker.postMessage({ type: 'witness', thresholdMs } satisfies ToTimingThread);
  }

  /**
   * Sends what is queued (the stop, its note-offs), releases everything, then
   * ends the thread. Waiting out a restart, it restarts at once: the new
   * thread's All Notes Off must leave before the box exits.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    const restartPending = this.#down;
    if (restartPending) {
      this.#supervisor.cancel();
      this.#respawn();
    }
    this.#flush();
    this.#closing = true;
    const done = (async () => {
      if (restartPending) await this.connect();
      await this.#request({ type: 'close', id: this.#nextId++ });
    })().catch(() => {});
    // A thread that does not answer must not hold up the exit.
    let cancelWait = () => {};
    await Promise.race([
      done,
      new Promise<void>((resolve) => {
        cancelWait = this.#clock.setTimeout(resolve, CLOSE_WAIT);
      }),
    ]);
    cancelWait();
    this.#replies.clear();
    this.#cancelLook();
    await this.#worker.terminate();
  }

  /**
   * A crash ends the thread and says so; a hang (an endless loop, a call that
   * never returns) says nothing and holds MIDI for good. Its heartbeat stops.
   */
  #scheduleLook(): void {
    this.#cancelLook = this.#clock.setTimeout(() => {
      this.#lookForHang();
      if (!this.#closing) this.#scheduleLook();
    }, this.#watch.lookEvery);
  }

  #lookForHang(): void {
    const beat = Atomics.load(this.#heartbeat, 0);
    const { looks, lookEvery, graceLooks } = this.#watch;
    if (this.#closing || this.#down || this.#stuck) {
      this.#quietLooks = -graceLooks;
    } else if (beat !== this.#lastBeat) {
      this.#quietLooks = 0;
    } else if (++this.#quietLooks >= looks) {
      const hung = this.#worker;
      // terminate() stops JavaScript at once, but a thread blocked inside native code only when the call
      // returns: while one has not ended, another hang is not answered with yet another thread.
      if (this.#unended > 0) {
        this.#stuck = true;
        this.#log(
          'MIDI timing thread hung again, and the last hung one has not ended (blocked outside JavaScript): no more new threads; MIDI is off until the box restarts',
        );
        return;
      }
      this.#crashed(hung, `hung: its event loop has not run for ${looks * lookEvery} s`);
      this.#unended++;
      void hung.terminate().finally(() => this.#unended--);
    }
    this.#lastBeat = beat;
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#pending.length === 0 || this.#closing) return;
    const events = this.#pending;
    this.#pending = [];
    this.#post({ type: 'events', events });
  }

  #request(message: Extract<ToTimingThread, { id: number }>): Promise<FromTimingThread> {
    if (this.#down) return Promise.reject(new TimingThreadDown('the MIDI timing thread is restarting'));
    return new Promise((resolve, reject) => {
      this.#replies.set(message.id, { resolve, reject });
      this.#post(message);
    });
  }

  /** Events while the thread is down are lost (their time passes); the transport is resent after the restart. */
  #post(message: ToTimingThread): void {
    if (!this.#down) this.#worker.postMessage(message);
  }

  #spawn(afterCrash: boolean): Worker {
    const port = this.#options.port;
    const config: TimingThreadConfig = {
      port,
      noteMap: this.#options.noteMap,
      sendClock: this.#options.sendClock,
      noteLength: this.#options.noteLength,
      retryInterval: this.#options.retryInterval,
      realtime: this.#options.realtime ?? TIMING_THREAD_PRIORITY,
      mainHrMinusPerf: hrMinusPerf(),
      releaseOnConnect: afterCrash,
      heartbeat: this.#heartbeat.buffer as SharedArrayBuffer,
      heartbeatEvery: this.#watch.beatEvery,
      entryData: this.#entry.data,
    };
    // Small heap limits keep this thread's RSS flat: V8 keeps the pages it committed.
    // Young generation: left alone, V8 grows it with the garbage the send loop makes;
    // a small one holds far more than the sends queued ahead. Old generation: V8 lets
    // it fill a long way past what the last full collection kept, but only about
    // halfway to a limit when there is one, so a low limit means small, frequent
    // collections; the limit still leaves the thread room to spare. The measurements
    // behind both: docs/performance-history.md.
    const worker = new Worker(this.#entry.file, { workerData: config, resourceLimits: TIMING_THREAD_HEAP });
    // Each new thread gets its grace before its first beat, also when it starts before a look has seen the restart.
    this.#quietLooks = -this.#watch.graceLooks;
    this.#lastBeat = Atomics.load(this.#heartbeat, 0);
    this.#supervisor.started();
    if (this.#witnessMs !== null)
      worker.postMessage({ type: 'witness', thresholdMs: this.#witnessMs } satisfies ToTimingThread);
    worker.on('message', (message: FromTimingThread) => this.#receive(message));
    worker.on('error', (error) => this.#crashed(worker, error.message));
    worker.on('exit', (code) => this.#crashed(worker, `exited with code ${code}`));
    return worker;
  }

  #receive(message: FromTimingThread): void {
    switch (message.type) {
      case 'log':
        this.#log(message.message);
        return;
      case 'sent':
        this.#options.onSent?.(message.bytes, message.due, message.at);
        return;
      case 'state':
        this.#connected = message.connected;
        this.#portName = message.portName;
        this.#realtime = message.realtime;
        return;
      default: {
        const reply = this.#replies.get(message.id);
        this.#replies.delete(message.id);
        reply?.resolve(message);
      }
    }
  }

  #crashed(worker: Worker, why: string): void {
    if (this.#closing || this.#down || worker !== this.#worker) return; // "error" is followed by "exit": one crash
    this.#restarts++;
    this.#connected = false;
    this.#down = true;
    const answer = this.#supervisor.crashed(() => {
      this.#respawn();
      this.#reconnect();
    });
    // The policy never gives up on MIDI: a restart is always on its way.
    const delay = answer.restart ? answer.delay : 0;
    this.#log(`MIDI timing thread stopped (${why}); restarting it in ${delay} s, with All Notes Off`);
    for (const reply of this.#replies.values())
      reply.reject(new TimingThreadDown(`the MIDI timing thread stopped (${why})`));
    this.#replies.clear();
  }

  #respawn(): void {
    this.#down = false;
    this.#worker = this.#spawn(true);
  }

  #reconnect(): void {
    void this.connect().then((ok) => {
      if (!ok || this.#closing) return;
      // The device may have missed a STOP, or START: say the transport again.
      if (this.#playing) this.#resync = true;
      else this.handle({ type: 'stop', time: performance.now() / 1000, position: 0 });
    });
  }
}
