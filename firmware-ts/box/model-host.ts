import path from 'node:path';
import type { GenerationEngine } from '../engine/engine.js';
import type { WorkerConfig } from '../engine/protocol.js';
import type { Interpretation } from '../controls/led-view.js';
import { toGestures, type GestureState } from '../controls/state.js';
import type { GenerateOptions, Reconstructions } from '../model/generator.js';
import { scoreToDrumRows } from '../pattern/gesture-layout.js';
import { STEPS, type Pattern } from '../pattern/pattern.js';
import { BOX_MODELS, type BoxConfig, type BoxModel } from './config.js';
import type { Log as BoxLog } from '../support/log.js';
import type { BoxParts } from './parts.js';

export type EngineStatus = 'loading' | 'ready' | 'failed' | 'off';

/** A generated loop whose request is still the latest: it is to play. */
export interface Generation {
  pattern: Pattern;
  seed: number;
  ms: number;
  model: BoxModel;
  /** How the model heard the gestures, per drum, for the interpretation view. */
  interpretation: Interpretation;
}

/** The box's parts the host works with (its log is the engine's). */
export type ModelHostParts = Pick<BoxParts, 'status' | 'changed' | 'log'>;

/** From the box's options. */
export interface ModelHostOptions {
  /** Makes a generation engine for one model folder; the host starts, restarts and stops it. */
  engineFactory: (config: WorkerConfig) => GenerationEngine;
  /** The model to start with, the folder with one sub-folder per model, and the tfjs backend. */
  settings: Pick<BoxConfig, 'model' | 'backend'> & { modelsDir: string };
  /** Source of seeds for GENERATE (default Math.random). */
  random?: () => number;
}

/** Whoever plays what the model makes (the working state). */
export interface ModelHostListener {
  /** A generation landed: play it. Called at once after the check that it is still wanted. */
  generated(generation: Generation): void;
  /** The model is gone (it crashed for good): play the score. */
  lost(): void;
  /** A model switch ended (loaded or not). */
  switched(): void;
}

const NOBODY: ModelHostListener = { generated: () => {}, lost: () => {}, switched: () => {} };

/**
 * Hosts the generation engine: starts it, switches models one after another,
 * takes it down when it fails, and turns GENERATE into a loop. A newer
 * request supersedes an older one; a result that is no longer wanted is
 * dropped here, so whoever plays it never sees it.
 */
export class ModelHost {
  readonly #options: ModelHostParts & ModelHostOptions;
  readonly #log: BoxLog;
  #engine: GenerationEngine | null = null;
  #status: EngineStatus = 'off';
  #model: BoxModel;
  /** The model the last switch asked for (the one playing once the switches are done). */
  #requested: BoxModel;
  #error: string | null = null;
  /** Model switches, one after another. */
  #switches: Promise<void> = Promise.resolve();
  /** Bumped by every GENERATE and every new working state: a result whose number is not the latest is dropped. */
  #request = 0;
  #generating = 0;
  /** Loops that landed (went to the listener) since start: only ever grows. */
  #generations = 0;
  #heard: Reconstructions | null = null;
  #stopped = false;
  #listener = NOBODY;

  constructor(parts: ModelHostParts, options: ModelHostOptions) {
    this.#options = { ...options, ...parts };
    this.#log = parts.log;
    this.#model = this.#requested = options.settings.model;
  }

  /** The one listener (a second replaces the first). */
  listen(listener: ModelHostListener): void {
    this.#listener = listener;
  }

  get model(): BoxModel {
    return this.#model;
  }

  /** The model the last switch asked for. */
  get requested(): BoxModel {
    return this.#requested;
  }

  get status(): EngineStatus {
    return this.#status;
  }

  get loaded(): boolean {
    return this.#status === 'ready';
  }

  /** Why there is no model (null: there is one, or none was tried). */
  get error(): string | null {
    return this.#error;
  }

  get generating(): boolean {
    return this.#generating > 0;
  }

  /**
   * How many generated loops have landed so far. A generation may start and
   * end between two panel frames, so "was generating, now is not" can be
   * missed; a count that only grows cannot (nor can a dropped frame hide it).
   */
  get generations(): number {
    return this.#generations;
  }

  /** The model's reconstructions from the last generation, per drum; null before one, or after a new working state. */
  get heard(): Reconstructions | null {
    return this.#heard;
  }

  /** Before the first start only: the model a restored working state played. */
  choose(model: BoxModel): void {
    if (this.#status !== 'off') throw new Error('ModelHost.choose: the engine has started already');
    this.#model = this.#requested = model;
  }

  /** The first model load; it is the first model switch, so a switch asked for during it waits its turn. */
  start(): Promise<void> {
    const started = this.#startEngine(this.#model);
    this.#switches = started;
    return started;
  }

  /** A new working state: a generation still in flight belongs to the gestures replaced, and so does what the model heard. */
  supersede(): void {
    this.#request++;
    this.#heard = null;
  }

  /**
   * Switches model (ag11, ag2, baseline). The loop plays on while the new one
   * loads. Switches run one after another, so the last one asked for is the
   * one that stays, and no loaded model is left behind.
   */
  select(name: string): Promise<void> {
    if (!(BOX_MODELS as readonly string[]).includes(name))
      return Promise.reject(new Error(`model "${name}": expected one of ${BOX_MODELS.join(', ')}`));
    if (this.#status === 'loading' && this.#engine) {
      // Already loading what is asked for: that switch is this one.
      if (name === this.#model) return this.#switches;
      // A model no longer wanted: stop its load, so this switch need not wait for it (its switch then ends quietly).
      const unwanted = this.#engine;
      this.#engine = null;
      void unwanted.stop().catch(() => {});
    }
    this.#requested = name as BoxModel;
    const switched = this.#switches.then(() => this.#switch(name as BoxModel));
    this.#switches = switched.catch(() => {});
    return switched;
  }

  /**
   * GENERATE: the given gestures go to the model as they are, the unspecified
   * factors are sampled again with a new seed. Null when there is no model to
   * ask (a status line says why); otherwise a promise that settles when the
   * loop has landed, was superseded, or failed with a status line. Never rejects.
   */
  generate(gestures: GestureState, temperature: number): Promise<void> | null {
    const id = ++this.#request;
    if (!this.loaded || !this.#engine) {
      const why = this.#status === 'loading' ? 'model still loading' : 'no model';
      this.#options.status.say(`${why}: playing the score as programmed`);
      return null;
    }
    return this.#generate(id, this.#engine, gestures, temperature);
  }

  async #generate(id: number, engine: GenerationEngine, gestures: GestureState, temperature: number): Promise<void> {
    const seed = Math.floor((this.#options.random ?? Math.random)() * 2 ** 31);
    this.#generating++;
    this.#options.changed.raise();
    try {
      const result = await engine.generate(toGestures(gestures), {
        seed,
        ...unspecifiedDrumOptions({ temperature, model: this.#model }),
      });
      if (id !== this.#request || this.#stopped || engine !== this.#engine) return;
      const heard = perDrum(result.reconstructions);
      this.#heard = heard;
      this.#generations++;
      this.#listener.generated({
        pattern: result.pattern,
        seed,
        ms: result.ms,
        model: this.#model,
        interpretation: interpretationOf(heard),
      });
    } catch (err) {
      const error = err as Error & { superseded?: boolean };
      if (error.superseded || id !== this.#request || this.#stopped) return;
      this.#log.warn(`generation failed (${error.message}); the loop plays on`);
      this.#options.status.show(`generation failed: ${error.message}`);
    } finally {
      this.#generating--;
      this.#options.changed.raise();
    }
  }

  /** Shutdown: no engine starts from now on; resolves when the running one has stopped. */
  stop(): Promise<void> {
    this.#stopped = true;
    const engine = this.#engine;
    this.#engine = null;
    return engine ? engine.stop().catch(() => {}) : Promise.resolve();
  }

  async #switch(name: BoxModel): Promise<void> {
    if (this.#stopped || (name === this.#model && this.loaded)) return;
    const old = this.#engine;
    this.#engine = null;
    await old?.stop().catch(() => {});
    if (this.#stopped) return; // shut down meanwhile: no worker may start now
    this.#model = name;
    await this.#startEngine(this.#model);
    this.#listener.switched();
  }

  async #startEngine(model: BoxModel): Promise<void> {
    if (this.#stopped) return;
    const modelDir = path.join(this.#options.settings.modelsDir, model);
    this.#status = 'loading';
    this.#options.changed.raise();
    const engine = this.#options.engineFactory({ modelDir, backend: this.#options.settings.backend ?? undefined });
    engine.on('crashed', (err) =>
      this.#log.warn(`generation worker crashed (${err.message}); restarting it, the loop plays on`),
    );
    engine.on('log', (m) => this.#log.info(m.replace(/^groovebox:engine /, '')));
    engine.on('ready', (info) =>
      this.#log.info(`model ${info.model} ready on ${info.backend} in ${Math.round(info.loadMs)} ms`),
    );
    engine.on('failed', (err) => this.#failed(engine, err));
    this.#engine = engine;
    try {
      await engine.start();
      if (this.#engine !== engine || this.#stopped) {
        // Superseded while it loaded (a newer switch, shutdown): its worker must not outlive it.
        await engine.stop().catch(() => {});
        return;
      }
      this.#status = 'ready';
      this.#error = null;
    } catch (err) {
      // A worker that failed to load must not be restarted in a loop: stop it for good.
      await engine.stop().catch(() => {});
      if (this.#engine !== engine) return;
      this.#withoutModel(`model ${model} not loaded`, (err as Error).message);
    }
    this.#options.changed.raise();
  }

  /** The worker crashed and could not be brought back: the box goes on as a plain step sequencer. */
  #failed(engine: GenerationEngine, err: Error): void {
    if (this.#engine !== engine) return;
    void engine.stop().catch(() => {});
    this.#withoutModel(`model ${this.#model} lost`, err.message);
    if (!this.#stopped) this.#listener.lost();
    this.#options.changed.raise();
  }

  /** No engine from now on (until the next model switch): one error line and a status line say why. */
  #withoutModel(what: string, why: string): void {
    this.#engine = null;
    this.#status = 'failed';
    this.#error = why;
    this.#log.error(`${what} (${why}); playing the score as programmed (plain step sequencer)`);
    this.#options.status.show(`no model: ${why}`);
  }
}

/**
 * Sharpens the hit probabilities before they are sampled (1: as the model
 * gives them; towards 0: thresholding), per model. Chosen by measurement
 * (scripts/measure-unspecified-drums.ts, figures in docs/models.md): it brings
 * how often each drum left to the model plays closest to how often it plays
 * in the data for the same inputs. The paper's decoders need sharpening (with
 * fewer stray single tom hits than at 1); the step decoder's probabilities are
 * played as they are.
 */
export const UNSPECIFIED_HIT_TEMPERATURE: Readonly<Record<BoxModel, number>> = {
  ag11s: 1,
  ag11: 0.75,
  ag2: 0.75,
  baseline: 0.75,
};

/**
 * The box's generation policy. keepGiven: the performer's score is what
 * plays; the model adds how, and the drums left to it. Hits are sampled from
 * the decoder's probabilities instead of thresholded at one half: a drum the
 * model finds likely but never more than even on any one step (a hat in a
 * style it cannot place) then plays about as often as the data has it,
 * instead of staying silent on most seeds. The given drums are forced either
 * way. For the step decoder the sampled hits are then fitted to a tapped groove.
 */
export function unspecifiedDrumOptions({
  temperature,
  model,
}: {
  temperature: number;
  model: BoxModel;
}): Omit<GenerateOptions, 'seed'> {
  return { temperature, keepGiven: true, hits: 'sample', hitTemperature: UNSPECIFIED_HIT_TEMPERATURE[model] };
}
/** The 2-input model and the baseline hear the score as one 32x9 block; the panel and the LEDs show it per drum. */
function perDrum(r: Reconstructions): Reconstructions {
  if (r.drums || !r.score) return r;
  return { ...r, drums: scoreToDrumRows(r.score) };
}

function interpretationOf(r: Reconstructions): Interpretation {
  const scores = r.drums ? r.drums.map((row) => row ?? new Float32Array(STEPS)) : undefined;
  return { scores, groove: r.groove ? { ...r.groove } : undefined, accent: r.accent };
}
