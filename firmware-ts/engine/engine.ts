import { EventEmitter } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { GenerateOptions, Reconstructions } from '../model/generator.js';
import type { Gestures } from '../pattern/gesture-layout.js';
import { Pattern } from '../pattern/pattern.js';
import { RestartSupervisor } from '../support/supervisor.js';
import { SystemClock, type Clock } from '../time/clock.js';
import type { FromWorker, ToWorker, WorkerConfig, WorkerMemory } from './protocol.js';

export interface GenerationResult {
  pattern: Pattern;
  reconstructions: Reconstructions;
  /** Time the worker spent generating. */
  ms: number;
  /** Live tfjs tensors in the worker after the generation (a leak shows here). */
  tensors: number;
  /** The worker's heap and wasm memory after the generation. */
  memory: WorkerMemory;
}

export class GenerationSuperseded extends Error {
  override name = 'GenerationSuperseded';
  readonly superseded = true;
}

export interface EngineEvents {
  ready: [info: { model: string; backend: string; loadMs: number }];
  crashed: [error: Error];
  /** The worker could not be brought back: every request from now on is refused; the box plays without a model. */
  failed: [error: Error];
  log: [message: string];
  /** stop() was called: the worker is ending and every request is refused. */
  stopped: [];
}

interface Pending {
  id: number;
  gestures: Gestures;
  options: GenerateOptions;
  resolve: (r: GenerationResult) => void;
  reject: (e: Error) => void;
  /** Already retried after a crash: a request that crashes the worker twice is refused, not retried forever. */
  retried: boolean;
}

/**
 * Waits before each restart after a crash (seconds; the last one repeats until
 * the attempts run out): a worker that dies while loading must not respawn in a
 * tight loop on the two cores that also feed MIDI.
 */
const RESTART_DELAYS = [0, 0.5, 2, 8];
/** Restarts in a row without a generation succeeding in between, before giving up. */
const MAX_RESTARTS_IN_A_ROW = 5;

const WORKER_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'generation-worker.js');

/**
 * Generation in a worker thread. At most one request runs; a new request while
 * one runs replaces the one waiting (the waiting one is rejected with
 * GenerationSuperseded), so the performer always gets their latest idea. A
 * crashed worker is restarted and the loop keeps playing meanwhile.
 */
export class GenerationEngine extends EventEmitter<EngineEvents> {
  #worker: Worker | null = null;
  /** Rejects the start (or restart) still loading: stop() must settle it. */
  #abortLoad: ((e: Error) => void) | null = null;
  #running: Pending | null = null;
  #waiting: Pending | null = null;
  #nextId = 1;
  #stopped = false;
  #failed: Error | null = null;
  readonly #supervisor: RestartSupervisor;

  constructor(
    private readonly config: WorkerConfig,
    private readonly workerFile = WORKER_FILE,
    options: { clock?: Clock } = {},
  ) {
    super();
    this.#supervisor = new RestartSupervisor({
      clock: options.clock ?? new SystemClock(),
      backoff: { steps: RESTART_DELAYS },
      giveUpAfter: MAX_RESTARTS_IN_A_ROW,
    });
  }

  /** Starts the worker and resolves once the model is loaded (rejects with the load error). */
  start(): Promise<void> {
    this.#stopped = false;
    this.#failed = null;
    return this.#launch(false);
  }

  get restarts(): number {
    return this.#supervisor.restarts;
  }

  /** Asks for a generation; supersedes a request that has not started yet. */
  generate(gestures: Gestures, options: GenerateOptions): Promise<GenerationResult> {
    return new Promise((resolve, reject) => {
      if (this.#failed) return reject(new Error(`generation engine failed: ${this.#failed.message}`));
      if (this.#waiting) this.#waiting.reject(new GenerationSuperseded('a newer generation request replaced this one'));
      this.#waiting = { id: this.#nextId++, gestures, options, resolve, reject, retried: false };
      this.#pump();
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#supervisor.cancel();
    const worker = this.#worker;
    this.#worker = null;
    const error = new Error('generation engine stopped');
    this.#abortLoad?.(error);
    this.#rejectAll(error);
    this.emit('stopped');
    if (worker) await worker.terminate();
  }

  /** One worker, from spawn to loaded. `restart`: a load failure ends the engine instead of rejecting a caller. */
  #launch(restart: boolean): Promise<void> {
    let settled = false;
    let loaded = false;
    return new Promise<void>((resolve, reject) => {
      const worker = new Worker(this.workerFile, { workerData: this.config });
      this.#worker = worker;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        this.#abortLoad = null;
        reject(err);
      };
      this.#abortLoad = fail;
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') {
          settled = loaded = true;
          this.#abortLoad = null;
          this.emit('ready', { model: msg.model, backend: msg.backend, loadMs: msg.loadMs });
          resolve();
          this.#pump();
        } else if (msg.type === 'loadFailed') {
          // Not a crash: a model that does not load would only fail again. Forget the
          // worker first so its non-zero exit does not start the restart path.
          if (this.#worker === worker) this.#worker = null;
          void worker.terminate();
          const error = new Error(msg.error);
          fail(error);
          if (restart && !this.#stopped) this.#giveUp(error);
        } else {
          this.#settle(msg);
        }
      });
      worker.on('error', (err) => {
        fail(err);
        this.#onCrash(worker, err, !restart && !loaded);
      });
      worker.on('exit', (code) => {
        if (code === 0 || this.#stopped) return;
        const error = new Error(`generation worker exited with code ${code}`);
        fail(error);
        this.#onCrash(worker, error, !restart && !loaded);
      });
    });
  }

  #pump(): void {
    if (this.#running || !this.#waiting || !this.#worker || this.#stopped) return;
    this.#running = this.#waiting;
    this.#waiting = null;
    const { id, gestures, options } = this.#running;
    const msg: ToWorker = { type: 'generate', id, gestures, options };
    this.#worker.postMessage(msg);
  }

  #settle(msg: Extract<FromWorker, { type: 'result' | 'failed' }>): void {
    const job = this.#running;
    if (!job || job.id !== msg.id) return;
    this.#running = null;
    if (msg.type === 'result') {
      // Only a generation proves the worker sound: one that loads and then crashes on every request must still back off.
      this.#supervisor.healthy();
      job.resolve({
        pattern: new Pattern(msg.pattern.hits, msg.pattern.velocities, msg.pattern.offsets),
        reconstructions: msg.reconstructions,
        ms: msg.ms,
        tensors: msg.tensors,
        memory: msg.memory,
      });
    } else {
      job.reject(new Error(`generation failed: ${msg.error}`));
    }
    this.#pump();
  }

  /**
   * A worker died. One that never loaded on the first start is its caller's to
   * report (start() rejected); any other is restarted, after a pause that grows
   * while restarts keep failing.
   */
  #onCrash(worker: Worker, err: Error, duringFirstLoad: boolean): void {
    if (this.#worker !== worker || this.#stopped) return;
    this.#worker = null;
    if (duringFirstLoad) return;
    this.emit('crashed', err);
    const lost = this.#running;
    this.#running = null;
    // Retry what was running once the new worker is up (the performer asked for it), but only once.
    if (lost && !lost.retried && !this.#waiting) {
      lost.retried = true;
      this.#waiting = lost;
    } else {
      lost?.reject(new Error(`generation worker crashed: ${err.message}`));
    }
    const answer = this.#supervisor.crashed(() => {
      // A failure here is handled where it happens (crash: here again; load failure: #giveUp).
      this.#launch(true).catch(() => {});
    });
    if (!answer.restart) {
      this.#giveUp(new Error(`the worker crashed ${answer.crashes} times in a row (last: ${err.message})`));
      return;
    }
    this.emit(
      'log',
      `groovebox:engine worker crashed (${err.message}); restarting${answer.delay > 0 ? ` in ${answer.delay} s` : ''}`,
    );
  }

  #giveUp(error: Error): void {
    this.#failed = error;
    this.#rejectAll(new Error(`generation engine failed: ${error.message}`));
    this.emit('log', `groovebox:engine giving up on the worker: ${error.message}`);
    this.emit('failed', error);
  }

  #rejectAll(error: Error): void {
    const jobs = [this.#running, this.#waiting];
    this.#running = this.#waiting = null;
    for (const job of jobs) job?.reject(error);
  }
}
