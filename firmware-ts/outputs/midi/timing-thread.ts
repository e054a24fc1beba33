import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SequencerEvent } from '../../sequencer/events.js';
import type { Sequencer } from '../../sequencer/sequencer.js';
import type { Seconds } from '../../time/clock.js';
import type { MidiSink } from './midi-sink.js';
import type { NoteMap } from './note-map.js';
import type { FromTimingThread, LatenessFigures, MidiPortSpec, StallFigures, TimingThreadConfig, ToTimingThread } from './timing-protocol.js';

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
}

export interface TimingFigures {
  lateness: LatenessFigures;
  stalls: StallFigures;
}

/** Main thread's hrtime minus performance.now(), in seconds (see TimingThreadConfig). */
function hrMinusPerf(): Seconds {
  return Number(process.hrtime.bigint()) / 1e9 - performance.now() / 1000;
}

/**
 * MIDI out on its own thread. MIDI bytes carry no timestamps, so the thread
 * that sends them *is* the timing; here it does nothing else, at real-time
 * priority, while the main thread runs the sequencer, panel, devices and the
 * audio graph. The sequencer works 100 ms ahead, so its events reach the
 * thread well before they are due; a main-thread pause shorter than that
 * look-ahead moves no note. A crashed thread is restarted with All Notes Off.
 */
export class MidiThread implements MidiSink {
  readonly #options: MidiThreadOptions;
  readonly #log: (message: string) => void;
  readonly #workerFile: string;
  #worker: Worker;
  #pending: SequencerEvent[] = [];
  #flushQueued = false;
  #nextId = 1;
  readonly #replies = new Map<number, (message: FromTimingThread) => void>();
  #connected = false;
  #portName: string | null = null;
  #realtime: number | null = null;
  #closing = false;
  #restarts = 0;
  #backoff = 0.05;
  /** Between a crash and the restart: nothing to talk to. */
  #down = false;
  #spawnedAt = 0;

  constructor(options: MidiThreadOptions, workerFile = WORKER_FILE) {
    this.#options = options;
    this.#log = options.log ?? ((m) => process.stderr.write(`groovebox:midi ${m}\n`));
    this.#workerFile = workerFile;
    this.#worker = this.#spawn(false);
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
    this.#pending.push(event);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
  }

  async connect(): Promise<boolean> {
    const reply = await this.#request({ type: 'connect', id: this.#nextId++ });
    return reply.type === 'connected' && reply.ok;
  }

  /** Lateness of sent messages and stalls of the thread since the last reset. */
  async figures(reset = false): Promise<TimingFigures> {
    const reply = await this.#request({ type: 'figures', id: this.#nextId++, reset });
    if (reply.type !== 'figures') throw new Error(`timing thread: expected figures, got ${reply.type}`);
    return { lateness: reply.lateness, stalls: reply.stalls };
  }

  /** Sends what is queued (the stop, its note-offs), releases everything, then ends the thread. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#flush();
    this.#closing = true;
    const id = this.#nextId++;
    // A thread that does not answer must not hold up the exit (SIGTERM has a 1 s budget).
    await Promise.race([this.#request({ type: 'close', id }), new Promise((resolve) => setTimeout(resolve, 300).unref())]);
    this.#replies.clear();
    await this.#worker.terminate();
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#pending.length === 0 || this.#closing) return;
    const events = this.#pending;
    this.#pending = [];
    this.#post({ type: 'events', events });
  }

  #request(message: Extract<ToTimingThread, { id: number }>): Promise<FromTimingThread> {
    if (this.#down) return Promise.resolve({ type: 'connected', id: message.id, ok: false });
    return new Promise((resolve) => {
      this.#replies.set(message.id, resolve);
      this.#post(message);
    });
  }

  #post(message: ToTimingThread): void {
    if (!this.#down) this.#worker.postMessage(message);
  }

  #spawn(afterCrash: boolean): Worker {
    const port = this.#options.port;
    const config: TimingThreadConfig = {
      // A test's crash request is for the first thread only.
      port: afterCrash && port.kind === 'fake' ? { ...port, crashAfterSends: undefined } : port,
      noteMap: this.#options.noteMap,
      sendClock: this.#options.sendClock,
      noteLength: this.#options.noteLength,
      retryInterval: this.#options.retryInterval,
      realtime: this.#options.realtime ?? 50,
      mainHrMinusPerf: hrMinusPerf(),
      releaseOnConnect: afterCrash,
    };
    const worker = new Worker(this.#workerFile, { workerData: config });
    this.#spawnedAt = performance.now();
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
        reply?.(message);
      }
    }
  }

  #crashed(worker: Worker, why: string): void {
    if (this.#closing || this.#down || worker !== this.#worker) return; // "error" is followed by "exit": one crash
    this.#restarts++;
    this.#connected = false;
    this.#down = true;
    // A thread that keeps crashing is restarted less and less often (0.1 s doubling to 5 s); one that ran a minute starts over.
    const now = performance.now();
    this.#backoff = now - this.#spawnedAt > 60_000 ? 0.1 : Math.min(5, this.#backoff * 2);
    this.#log(`MIDI timing thread stopped (${why}); restarting it in ${this.#backoff} s, with All Notes Off`);
    // Requests the dead thread will never answer: connect and figures resolve as failures.
    for (const [id, reply] of this.#replies) reply({ type: 'connected', id, ok: false });
    this.#replies.clear();
    setTimeout(() => {
      if (this.#closing) return;
      this.#down = false;
      this.#worker = this.#spawn(true);
      void this.connect();
    }, this.#backoff * 1000).unref();
  }
}
