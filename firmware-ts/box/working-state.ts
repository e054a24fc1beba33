import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { GestureCapture } from '../controls/capture.js';
import type { GestureState } from '../controls/state.js';
import { patternsToMidi } from '../midi-file/write.js';
import { Pattern } from '../pattern/pattern.js';
import type { Sequencer } from '../sequencer/sequencer.js';
import { writeFileAtomic } from '../storage/atomic-file.js';
import type { Seconds } from '../time/clock.js';
import type { BoxConfig } from './config.js';
import type { Generation, ModelHost } from './model-host.js';
import type { BoxParts } from './parts.js';
import { scoreAsPattern } from './plain-loop.js';
import { SLOT_COUNT, SlotCorruptError, type SlotData, type SlotStore, type WorkingState } from './slots.js';
import type { StatusLines } from './status-lines.js';

type SwitchAt = 'loop' | 'bar' | 'step';

export interface WorkingStateParts extends BoxParts {
  host: ModelHost;
  /** The tempo control (a slot's tempo goes through it like the knob's). */
  transport: { setTempo(bpm: number): void };
}

/** From the box's options. */
export interface WorkingStateOptions {
  slots: SlotStore;
  settings: Pick<BoxConfig, 'switchAt' | 'stepVelocity' | 'temperature'> & { modelPinned?: boolean };
  /** Seconds of quiet after a change before the working state is written (coalesces bursts of edits). */
  saveDelay?: Seconds;
}

/**
 * The working state: what the performer has made (gestures, loop, tempo,
 * model settings) and where it lives on disk. Restores it at boot, saves it
 * a moment after each change and at shutdown, and saves and loads the 16
 * slots. Decides what plays: the model's loops as they land, and the score
 * as programmed when there is no model.
 */
export class WorkingStateKeeper {
  readonly #options: WorkingStateParts & WorkingStateOptions;
  readonly #slots: SlotStore;
  readonly #sequencer: Sequencer;
  readonly #capture: GestureCapture;
  readonly #host: ModelHost;
  readonly #status: StatusLines;
  #slot: number | null = null;
  #temperature: number;
  #seed: number | null = null;
  #cancelSave: (() => void) | null = null;
  #saving = false;
  #lastGeneration: Promise<void> = Promise.resolve();
  /** Whether bar 2 repeated bar 1 after the last edit: a change is told to the performer once. */
  #barsLinked: boolean;

  constructor(parts: WorkingStateParts, options: WorkingStateOptions) {
    this.#options = { ...options, ...parts };
    const { host } = parts;
    this.#slots = options.slots;
    this.#sequencer = parts.sequencer;
    this.#capture = parts.capture;
    this.#host = host;
    this.#status = parts.status;
    this.#temperature = options.settings.temperature;
    this.#barsLinked = parts.capture.state.barsLinked;
    const { switchAt } = options.settings;
    this.#host.listen({
      generated: (generation) => this.play(generation),
      lost: () => this.playScore(switchAt),
      switched: () => {
        if (!this.#host.loaded) this.playScore(switchAt);
        this.scheduleSave();
      },
    });
  }

  get slot(): number | null {
    return this.#slot;
  }

  /** The loop playing now (or about to, when one is queued for the loop boundary). */
  get loop(): Pattern {
    return this.#sequencer.pendingPattern ?? this.#sequencer.pattern;
  }

  /** Restores the saved working state (before the model starts: its model is the one to start); null when there is none. */
  async restore(): Promise<WorkingState | null> {
    this.#saving = true;
    let working: WorkingState | null = null;
    try {
      working = await this.#slots.loadWorking();
    } catch (err) {
      if (!(err instanceof SlotCorruptError)) throw err;
      this.#status.show('the saved working state was unreadable; starting empty');
    }
    if (!working) {
      this.#options.log.info(`no saved state in ${this.#slots.dir}; starting empty`);
      return null;
    }
    this.#slot = working.slot;
    // The model is not running yet: take the saved choice (unless --model said otherwise), boot starts it.
    if (!this.#options.settings.modelPinned) this.#host.choose(working.model);
    await this.#apply({ ...working, model: this.#host.model }, 'step');
    const where = working.slot !== null ? ` (slot ${working.slot + 1})` : '';
    this.#options.log.info(
      `restored the working state${where}: ${working.loop ? working.loop.notes.length : 0} notes at ${working.bpm} BPM`,
    );
    return working;
  }

  /**
   * GENERATE: the gestures go to the model as they are, the unspecified factors
   * are sampled again with a new seed; the loop takes over at the next loop
   * boundary. A newer request supersedes this one. Resolves when the result is
   * queued (or dropped); never rejects. Without a model the score plays.
   */
  generate(): Promise<void> {
    const asked = this.#host.generate(this.#capture.state, this.#temperature);
    if (!asked) this.playScore(this.#options.settings.switchAt);
    this.#lastGeneration = asked ?? Promise.resolve();
    return this.#lastGeneration;
  }

  /** The latest GENERATE (from a button, the panel, a slot or boot), settled when its loop is queued or dropped. */
  get generation(): Promise<void> {
    return this.#lastGeneration;
  }

  /** Without a model the score is the loop. */
  playScore(at: SwitchAt): void {
    this.#sequencer.setPattern(scoreAsPattern(this.#capture.state, this.#options.settings.stepVelocity), at);
    this.#options.changed.raise();
  }

  /** A generated loop takes over at the next loop (or bar) boundary. */
  play(generation: Generation): void {
    const { switchAt } = this.#options.settings;
    this.#sequencer.setPattern(generation.pattern, switchAt);
    this.#seed = generation.seed;
    this.#capture.setInterpretation(generation.interpretation);
    const { model, ms, seed } = generation;
    this.#status.say(
      `generated with ${model} in ${Math.round(ms)} ms (seed ${seed}); takes over at the next ${switchAt === 'loop' ? 'loop' : 'bar'}`,
    );
    this.scheduleSave();
  }

  /** The performer edited the gestures (`state`: the gestures after the edit). */
  edited(action: string, state: GestureState = this.#capture.state): void {
    this.#options.log.debug(action);
    if (state.barsLinked !== this.#barsLinked && action !== 'loaded') {
      this.#status.say(
        state.barsLinked
          ? 'bar 2 repeats bar 1 again: edits of bar 1 play in both bars'
          : 'bar 2 edited on its own: bar 1 no longer repeats in bar 2',
      );
    }
    this.#barsLinked = state.barsLinked;
    // The plain step sequencer follows edits at once, like any step sequencer; a model waits for GENERATE.
    if (!this.#host.loaded) this.playScore('step');
    this.#options.changed.raise();
    this.scheduleSave();
  }

  scheduleSave(): void {
    if (!this.#saving) return;
    this.#cancelSave?.();
    this.#cancelSave = this.#options.clock.setTimeout(() => {
      this.#cancelSave = null;
      const failed = (err: Error): void =>
        this.#options.log.error(`could not save the working state (${err.message}); the previous save is intact`);
      this.saveNow().catch(failed);
    }, this.#options.saveDelay ?? 1);
  }

  /** Shutdown: no more timed saves. */
  stop(): void {
    this.#saving = false;
    this.#cancelSave?.();
  }

  /** Always written: the working state on disk is then exactly what was playing when the box stopped. Never rejects. */
  saveAtShutdown(): Promise<void> {
    const failed = (err: Error): void =>
      this.#options.log.error(
        `could not save the working state at shutdown (${err.message}); the previous save is intact`,
      );
    return this.saveNow().catch(failed);
  }

  saveNow(): Promise<void> {
    return this.#slots.saveWorking({ ...this.#slotData(), slot: this.#slot });
  }

  /** Saves the working state into slot 0..15 (and makes it the current slot). */
  async saveSlot(slot: number): Promise<void> {
    checkSlot(slot);
    await this.#slots.save(slot, this.#slotData());
    this.#slot = slot;
    this.#status.say(`saved to slot ${slot + 1}`);
    this.scheduleSave();
  }

  /** A key on the slot page: with SHIFT held it saves into that slot, alone it loads it; a failure is one error line. */
  slotKey(slot: number, save: boolean): void {
    (save ? this.saveSlot(slot) : this.loadSlot(slot)).catch((err: Error) =>
      this.#options.log.error(`slot ${slot + 1}: ${err.message}`),
    );
  }

  /** Loads slot 0..15: gestures, loop (at the next loop boundary), tempo, model settings. */
  async loadSlot(slot: number): Promise<boolean> {
    checkSlot(slot);
    let data: SlotData | null;
    try {
      data = await this.#slots.load(slot);
    } catch (err) {
      if (err instanceof SlotCorruptError) {
        this.#status.show(`slot ${slot + 1} was unreadable; kept as ${path.basename(err.keptAs)}`);
        return false;
      }
      throw err;
    }
    if (!data) {
      this.#status.say(`slot ${slot + 1} is empty`);
      return false;
    }
    this.#slot = slot;
    await this.#apply(data, this.#options.settings.switchAt);
    this.#status.say(`loaded slot ${slot + 1}`);
    this.scheduleSave();
    return true;
  }

  /** The loop as a Standard MIDI File, named after the slot and the time. */
  midiFile(): { filename: string; bytes: Uint8Array } {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const slot = String((this.#slot ?? 0) + 1).padStart(2, '0');
    return {
      filename: `groovebox-slot${slot}-${stamp}.mid`,
      bytes: patternsToMidi(this.loop, { bpm: this.#sequencer.targetBpm }),
    };
  }

  /** Writes the loop as a MIDI file into the current slot's folder (slot 1 when none); returns the path. */
  async exportMidi(): Promise<string> {
    const { filename, bytes } = this.midiFile();
    const dir = this.#slots.slotDir(this.#slot ?? 0);
    const file = path.join(dir, filename);
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(file, bytes);
    this.#status.say(`exported the loop to ${file}`);
    return file;
  }

  async #apply(data: SlotData, at: SwitchAt): Promise<void> {
    // A generation still in flight belongs to the gestures being replaced: its loop must not land.
    this.#host.supersede();
    this.#barsLinked = data.gestures.barsLinked;
    this.#capture.load(data.gestures);
    this.#options.transport.setTempo(data.bpm);
    this.#temperature = data.temperature;
    this.#seed = data.seed;
    this.#capture.setInterpretation(null);
    if (data.loop) this.#sequencer.setPattern(Pattern.fromJSON(data.loop, 'loop'), at);
    else if (this.#host.loaded) void this.generate();
    else this.#sequencer.setPattern(new Pattern(), at);
    if (!this.#host.loaded && this.#host.status !== 'off') this.playScore(at);
    this.#options.changed.raise();
    // Against the model last asked for, not the one playing: a switch still queued must not win over the slot's.
    if (data.model !== this.#host.requested) await this.#host.select(data.model);
  }

  #slotData(): SlotData {
    return {
      gestures: this.#capture.state,
      loop: this.loop.toJSON(),
      bpm: this.#sequencer.targetBpm,
      model: this.#host.model,
      temperature: this.#temperature,
      seed: this.#seed,
    };
  }
}

function checkSlot(slot: number): void {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT)
    throw new RangeError(`slot ${slot}: expected 0..${SLOT_COUNT - 1}`);
}
