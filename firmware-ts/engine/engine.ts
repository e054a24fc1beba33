import { EventEmitter } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { GenerateOptions, Gestures, Reconstructions } from '../model/generator.js';
import { Pattern } from '../pattern/pattern.js';
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
  log: [message: string];
}

interface Pending {
  id: number;
  gestures: Gestures;
  options: GenerateOptions;
  resolve: (r: GenerationResult) => void;
  reject: (e: Error) => void;
}

const WORKER_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'generation-worker.js');

/**
 * Generation in a worker thread. At most one request runs; a new request while
 * one runs replaces the one waiting (the waiting one is rejected with
 * GenerationSuperseded), so the performer always gets their latest idea. A
 * crashed worker is restarted and the loop keeps playing meanwhile.
 */
export class GenerationEngine extends EventEmitter<EngineEvents> {
  #worker: Worker | null = null;
  #ready: Promise<void> | null = null;
  #running: Pending | null = null;
  #waiting: Pending | null = null;
  #nextId = 1;
  #stopped = false;
  #restarts = 0;

  constructor(private readonly config: WorkerConfig, private readonly workerFile = WORKER_FILE) {
    super();
  }

  /** Starts the worker and resolves once the model is loaded (rejects with the load error). */
  start(): Promise<void> {
    this.#stopped = false;
    this.#ready = new Promise<void>((resolve, reject) => {
      const worker = new Worker(this.workerFile, { workerData: this.config });
      this.#worker = worker;
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') {
          this.emit('ready', { model: msg.model, backend: msg.backend, loadMs: msg.loadMs });
          resolve();
          this.#pump();
        } else if (msg.type === 'loadFailed') {
          // Not a crash: a model that does not load would only fail again. Forget the
          // worker first so its non-zero exit does not start the restart path.
          this.#worker = null;
          reject(new Error(msg.error));
          void worker.terminate();
        } else {
          this.#settle(msg);
        }
      });
      worker.on('error', (err) => {
        reject(err);
        this.#onCrash(worker, err);
      });
      worker.on('exit', (code) => {
        if (code !== 0 && !this.#stopped) this.#onCrash(worker, new Error(`generation worker exited with code ${code}`));
      });
    });
    return this.#ready;
  }

  get restarts(): number {
    return this.#restarts;
  }

  /** Asks for a generation; supersedes a request that has not started yet. */
  generate(gestures: Gestures, options: GenerateOptions): Promise<GenerationResult> {
    return new Promise((resolve, reject) => {
      if (this.#waiting) this.#waiting.reject(new GenerationSuperseded('a newer generation request replaced this one'));
      this.#waiting = { id: this.#nextId++, gestures, options, resolve, reject };
      this.#pump();
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const worker = this.#worker;
    this.#worker = null;
    const error = new Error('generation engine stopped');
    this.#running?.reject(error);
    this.#waiting?.reject(error);
    this.#running = this.#waiting = null;
    if (worker) await worker.terminate();
  }

  /** For fault tests: kill the worker as a crash would. */
  async crashForTest(): Promise<void> {
    await this.#worker?.terminate();
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
      job.resolve({ pattern: new Pattern(msg.pattern.hits, msg.pattern.velocities, msg.pattern.offsets), reconstructions: msg.reconstructions, ms: msg.ms, tensors: msg.tensors, memory: msg.memory });
    } else {
      job.reject(new Error(`generation failed: ${msg.error}`));
    }
    this.#pump();
  }

  #onCrash(worker: Worker, err: Error): void {
    if (this.#worker !== worker || this.#stopped) return;
    this.#worker = null;
    this.emit('crashed', err);
    const lost = this.#running;
    this.#running = null;
    this.#restarts++;
    // Retry what was running once the new worker is up: the performer asked for it.
    if (lost && !this.#waiting) this.#waiting = lost;
    else lost?.reject(new Error(`generation worker crashed: ${err.message}`));
    this.emit('log', `groovebox:engine worker crashed (${err.message}); restarting`);
    this.start().catch((e: Error) => this.emit('log', `groovebox:engine worker restart failed: ${e.message}`));
  }
}
