import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ButtonEvent, Buttons, KeyEvent, Rgb, StepGrid, TapPad, TempoControl, Unsubscribe } from '../devices/interfaces.js';
import { GRID_KEYS } from '../devices/interfaces.js';
import type { GenerationEngine } from '../engine/engine.js';
import type { WorkerConfig } from '../engine/protocol.js';
import { GestureCapture } from '../gestures/capture.js';
import type { Interpretation } from '../gestures/led-view.js';
import { toModelGestures, type GestureState } from '../gestures/state.js';
import { patternsToMidi } from '../midi-file/write.js';
import type { Gestures, Reconstructions } from '../model/generator.js';
import { DRUM_COUNT } from '../pattern/drums.js';
import type { PanelCommand, PanelSnapshot } from '../panel/protocol.js';
import { reconstructionsToJSON } from '../panel/protocol.js';
import { Pattern, STEPS } from '../pattern/pattern.js';
import { AudioOut } from '../outputs/audio/audio-out.js';
import { NativeAudioMemory } from '../outputs/audio/native-memory.js';
import { ClockInputLink } from '../outputs/midi/clock-input-link.js';
import type { MidiInputOpener } from '../outputs/midi/midi-input.js';
import { MidiOut } from '../outputs/midi/midi-out.js';
import type { MidiSink } from '../outputs/midi/midi-sink.js';
import type { MidiPortSpec } from '../outputs/midi/timing-protocol.js';
import { MidiThread } from '../outputs/midi/timing-thread.js';
import type { MidiPortOpener } from '../outputs/midi/midi-port.js';
import type { NoteMap } from '../outputs/midi/note-map.js';
import type { SequencerEvent } from '../sequencer/events.js';
import { PULSES_PER_STEP, Sequencer } from '../sequencer/sequencer.js';
import type { Clock, Seconds } from '../time/clock.js';
import { writeFileAtomic } from '../storage/atomic-file.js';
import { BOX_MODELS, type BoxConfig, type BoxModel } from './config.js';
import type { Log as BoxLog, LogFactory } from '../support/log.js';
import { throttledReport } from '../support/listeners.js';
import { firstTrouble } from './merged-devices.js';
import { scoreAsPattern } from './plain-loop.js';
import type { BoxControl, PanelView } from './snapshot.js';
import { SLOT_COUNT, SlotCorruptError, type SlotData, type SlotStore, type WorkingState } from './slots.js';

/** The panel's hardware, whichever implementation: real drivers, the virtual panel's, or fakes. Null = not there. */
export interface BoxDevices {
  grid: StepGrid | null;
  tapPad: TapPad | null;
  buttons: Buttons | null;
  tempo: TempoControl | null;
}

/** The settings the box plays by (a subset of the config file). */
export type BoxSettings = Pick<BoxConfig, 'model' | 'temperature' | 'switchAt' | 'stepVelocity' | 'autoplay' | 'bpm' | 'backend'> & {
  /** Folder with one sub-folder per model (ag11, ag2, baseline). */
  modelsDir: string;
  /** The model was asked for explicitly (--model): it wins over the one the saved working state played. */
  modelPinned?: boolean;
};

interface MidiCommon {
  noteMap: NoteMap;
  sendClock: boolean;
  noteLength: Seconds;
  retryInterval?: Seconds;
}

export interface GrooveBoxOptions {
  clock: Clock;
  devices: BoxDevices;
  /**
   * The MIDI output (null: no MIDI at all). With `thread`, a MidiThread: its
   * own real-time thread opens the described port (the box on stage). With
   * `open`, a MidiOut on this thread (tests with fake ports, OfflineClock).
   * Either owns its retries.
   */
  midi: (MidiCommon & ({ thread: MidiPortSpec; realtime?: number | false } | {
    open: MidiPortOpener;
    /** Real-time precision of the send loop; must be false with an OfflineClock. */
    precise: boolean;
    /** Sees every message as it leaves, with its due time. */
    onSend?: (bytes: readonly number[], due: Seconds, sentAt: Seconds) => void;
  })) | null;
  /** A master's MIDI clock to follow (tempo, start/stop/continue); null or absent: the box keeps its own. */
  clockInput?: { name: string; open: MidiInputOpener; dispose?(): void } | null;
  /** An audio context to play the kit on (null: no audio). `audible` false = a silent sink. */
  audio: { context: BaseAudioContext; audible: boolean; gain: number } | null;
  /** Makes a generation engine for one model folder; the box starts, restarts and stops it. */
  engineFactory: (config: WorkerConfig) => GenerationEngine;
  slots: SlotStore;
  settings: BoxSettings;
  logs: LogFactory;
  panel?: PanelView | null;
  /** LED and panel refresh interval. */
  refreshInterval?: Seconds;
  /** Source of seeds for GENERATE (tests pass a fixed one). */
  random?: () => number;
  /** Seconds of quiet after a change before the working state is written (coalesces bursts of edits). */
  saveDelay?: Seconds;
}

export type EngineStatus = 'loading' | 'ready' | 'failed' | 'off';

export interface BootReport {
  /** Model loaded and playing from it; false: the plain step sequencer. */
  modelLoaded: boolean;
  model: BoxModel;
  modelError: string | null;
  midi: string | null;
  audio: 'sound card' | 'silent sink' | 'off';
}

/** Colours of the slot page (SHIFT+PLAY): which slots hold something and which one is loaded. */
const SLOT_EMPTY: Rgb = { r: 8, g: 8, b: 8 };
const SLOT_FILLED: Rgb = { r: 0, g: 90, b: 40 };
const SLOT_CURRENT: Rgb = { r: 0, g: 255, b: 120 };
const STATUS_LINES = 8;
/**
 * While a panel device is in trouble (I2C errors), this key alternates red and
 * white at ERROR_BLINK_HZ over the grid. Red alone would be taken for the
 * count-in, which lights the same key red; nothing else flashes red and white.
 */
const ERROR_KEY = GRID_KEYS - 1;
const ERROR_COLOUR: Rgb = { r: 255, g: 0, b: 0 };
const ERROR_OFF_COLOUR: Rgb = { r: 255, g: 255, b: 255 };
const ERROR_BLINK_HZ = 2;

/**
 * The composition root: gesture capture -> generation engine -> sequencer ->
 * MIDI and audio, with slots, LEDs and the panel view. Every part is handed
 * in or built here from what is handed in; nothing is global, so tests run
 * the whole box on fakes and an offline clock.
 *
 * The timing rule: nothing on the sequencer's path awaits the model, the
 * disk or a big JSON. Generation results and slot loads arrive as promises
 * and only swap a Pattern reference; saves run in the background.
 */
export class GrooveBox implements BoxControl {
  readonly clock: Clock;
  readonly sequencer: Sequencer;
  readonly capture: GestureCapture;
  readonly midi: MidiSink | null;
  readonly audio: AudioOut | null;
  readonly #options: GrooveBoxOptions;
  readonly #log: BoxLog;
  readonly #engineLog: BoxLog;
  readonly #devices: BoxDevices;
  readonly #slots: SlotStore;
  readonly #settings: BoxSettings;
  readonly #random: () => number;
  readonly #unsubscribe: Unsubscribe[] = [];

  #engine: GenerationEngine | null = null;
  #engineStatus: EngineStatus = 'off';
  #model: BoxModel;
  #modelError: string | null = null;
  #temperature: number;
  /** Bumped by every GENERATE: a result whose number is not the latest is dropped (a newer idea is on its way). */
  #request = 0;
  /** Model switches, one after another. */
  #modelSwitch: Promise<void> = Promise.resolve();
  /** The model the last switch asked for (the one playing once the switches are done). */
  #requestedModel: BoxModel;
  #generating = 0;
  #lastGeneration: Promise<void> = Promise.resolve();
  #seed: number | null = null;
  #reconstructions: PanelSnapshot['reconstructions'] = null;
  #slot: number | null = null;
  #slotPage = false;
  #shift = false;
  /** Downbeats of 16ths handed out by the sequencer and not yet reached: [time, position]. */
  #upcoming: [Seconds, number][] = [];
  #playhead: number | null = null;
  #cancelRefresh: (() => void) | null = null;
  #clockInput: ClockInputLink | null = null;
  /** Returns the audio engine's native memory (see native-memory.ts); null without audio. */
  readonly #audioMemory: NativeAudioMemory | null;
  #cancelSave: (() => void) | null = null;
  #dirty = true;
  #loopJSON: PanelSnapshot['pattern'] | null = null;
  #status: string[] = [];
  #lastGridError: string | null = null;
  /** What a panel device reported at the last refresh (null: all well), and whether the error key was lit then. */
  #trouble: string | null = null;
  #errorLit = false;
  #stopped = false;
  #booted = false;

  constructor(options: GrooveBoxOptions) {
    this.#options = options;
    this.clock = options.clock;
    this.#log = options.logs('box');
    this.#engineLog = options.logs('engine');
    this.#devices = options.devices;
    this.#slots = options.slots;
    this.#settings = options.settings;
    this.#model = this.#requestedModel = options.settings.model;
    this.#temperature = options.settings.temperature;
    this.#random = options.random ?? Math.random;
    const seqLog = options.logs('sequencer');
    this.sequencer = new Sequencer({
      clock: this.clock,
      bpm: options.settings.bpm,
      switchAt: options.settings.switchAt,
      warn: (m) => seqLog.warn(m),
      onListenerError: listenerErrorLog(seqLog),
    });
    this.capture = new GestureCapture({ clock: this.clock, bpm: () => this.sequencer.targetBpm, nextDownbeat: (now) => this.sequencer.nextLoopStart(now) });
    const midiLog = options.logs('midi');
    this.midi = options.midi ? openMidi(options.midi, this.clock, (m) => midiLog.info(m)) : null;
    this.audio = options.audio ? new AudioOut({ context: options.audio.context, clock: this.clock, gain: options.audio.gain, log: (m) => options.logs('audio').warn(m) }) : null;
    this.#audioMemory = options.audio ? new NativeAudioMemory(this.clock, (m) => options.logs('audio').info(m)) : null;
  }

  get model(): BoxModel {
    return this.#model;
  }

  get engineStatus(): EngineStatus {
    return this.#engineStatus;
  }

  /** True while the box plays from a model; false: the plain step sequencer (no model, or it failed to load). */
  get modelLoaded(): boolean {
    return this.#engineStatus === 'ready';
  }

  /** The audio engine's timed full collections so far (null without audio, or without --expose-gc). */
  get audioCollections(): { runs: number; longestMs: number } | null {
    const memory = this.#audioMemory;
    return memory && memory.runs > 0 ? { runs: memory.runs, longestMs: Math.round(memory.longestMs * 10) / 10 } : null;
  }

  get currentSlot(): number | null {
    return this.#slot;
  }

  get slotPage(): boolean {
    return this.#slotPage;
  }

  /** The loop playing now (or about to, when one is queued for the loop boundary: `sequencer.pendingPattern`). */
  get loop(): Pattern {
    return this.sequencer.pendingPattern ?? this.sequencer.pattern;
  }

  /**
   * Restores the working state, opens the outputs, loads the model (a missing
   * or broken model is one error line and the plain step sequencer), attaches
   * the devices and starts the LED refresh. Resolves when the box is playable.
   */
  async boot(): Promise<BootReport> {
    if (this.#booted) throw new Error('GrooveBox.boot: already booted');
    this.#booted = true;
    const restored = await this.#restoreWorking();

    if (this.midi) this.#unsubscribe.push(this.midi.attach(this.sequencer));
    if (this.audio) this.#unsubscribe.push(this.audio.attach(this.sequencer));
    this.#unsubscribe.push(this.sequencer.on((e) => this.#trackPlayhead(e)));
    const midiOpen = this.midi ? this.midi.connect() : Promise.resolve(false);

    // The kit renders (off this thread) while the model loads; a render that hangs does not hold up the box
    // (AudioOut drops notes until its kit is there).
    const kitReady = this.audio ? new Promise<void>((resolve) => {
      const cancel = this.clock.setTimeout(resolve, 5);
      void this.audio!.ready.then(() => { cancel(); resolve(); });
    }) : null;
    // The first model load is the first model switch: a panel's switch during it waits its turn.
    const engineStarted = this.#startEngine(this.#model);
    this.#modelSwitch = engineStarted;
    await Promise.all([midiOpen, engineStarted, kitReady]);
    if (!this.modelLoaded) this.#playScore('step');
    else if (!restored?.loop) void this.generate();

    this.#attachDevices();
    if (this.#options.clockInput && !this.#stopped) {
      const { name, open } = this.#options.clockInput;
      // Whether the master is followed is the performer's business too: its lines go to the panel's status as well.
      const log = this.#options.logs('midi-in');
      const told = { info: (m: string) => { log.info(m); this.#show(m); }, warn: (m: string) => { log.warn(m); this.#show(m); } };
      this.#clockInput = new ClockInputLink({ name, open, sequencer: this.sequencer, clock: this.clock, log: told });
      await this.#clockInput.start();
    }
    this.capture.onChange((state, action) => this.#onGestures(state, action));
    this.#refresh();
    if (!this.#stopped) this.#audioMemory?.start();
    if (this.#settings.autoplay) this.play();
    return {
      modelLoaded: this.modelLoaded,
      model: this.#model,
      modelError: this.#modelError,
      midi: this.midi?.portName ?? null,
      audio: !this.#options.audio ? 'off' : this.#options.audio.audible ? 'sound card' : 'silent sink',
    };
  }

  play(): void {
    if (this.sequencer.playing) return;
    // Following a master that plays: in on its next 16th, in phase with it.
    if (!this.#clockInput?.joinMaster()) this.sequencer.start();
    this.#say('play');
  }

  stop(): void {
    if (!this.sequencer.playing) return;
    this.sequencer.stop();
    this.#say('stop');
  }

  setTempo(bpm: number): void {
    const master = this.#clockInput?.bpm != null ? this.#clockInput.connected : null;
    if (master) {
      // The master's clock would take it back within a 16th: say so rather than seem to ignore the knob.
      if (this.#status[0] !== `the tempo follows "${master}"`) this.#say(`the tempo follows "${master}"`);
      return;
    }
    const before = this.sequencer.targetBpm;
    const set = this.sequencer.setTempo(bpm);
    // A take keeps the grid it was armed with, so it starts again on the loop as it now runs: waiting for its
    // downbeat it simply follows; recording, its taps so far would land on the wrong steps.
    const phase = this.capture.recorder.phase();
    if (set !== before && phase !== 'idle' && this.capture.rearm() && phase === 'recording') {
      this.#say('tempo changed during the take: it starts again at the next loop');
    }
    this.#dirty = true;
    this.#scheduleSave();
    this.#log.debug(`tempo ${set} BPM`);
  }

  /**
   * GENERATE: the given gestures go to the model as they are, the unspecified
   * factors are sampled again with a new seed; the loop takes over at the next
   * loop boundary. A newer request supersedes this one. Resolves when the
   * result is queued (or dropped); never rejects.
   */
  generate(): Promise<void> {
    this.#lastGeneration = this.#generate();
    return this.#lastGeneration;
  }

  /** The latest GENERATE (from a button, the panel or boot), settled when its loop is queued or dropped. */
  get generation(): Promise<void> {
    return this.#lastGeneration;
  }

  async #generate(): Promise<void> {
    const id = ++this.#request;
    if (!this.modelLoaded || !this.#engine) {
      this.#playScore(this.#settings.switchAt);
      this.#say(this.#engineStatus === 'loading' ? 'model still loading: playing the score as programmed' : 'no model: playing the score as programmed');
      return;
    }
    const seed = Math.floor(this.#random() * 2 ** 31);
    const engine = this.#engine;
    this.#generating++;
    this.#dirty = true;
    try {
      // keepGiven: the performer's score is what plays; the model adds how, and the drums left to it.
      const result = await engine.generate(engineGestures(this.capture.state), { seed, temperature: this.#temperature, keepGiven: true });
      if (id !== this.#request || this.#stopped || engine !== this.#engine) return;
      this.sequencer.setPattern(result.pattern, this.#settings.switchAt);
      this.#seed = seed;
      const heard = perDrum(result.reconstructions);
      this.#reconstructions = reconstructionsToJSON(heard);
      this.capture.setInterpretation(interpretationOf(heard));
      this.#loopJSON = null;
      this.#say(`generated with ${this.#model} in ${Math.round(result.ms)} ms (seed ${seed}); takes over at the next ${this.#settings.switchAt === 'loop' ? 'loop' : 'bar'}`);
      this.#scheduleSave();
    } catch (err) {
      const error = err as Error & { superseded?: boolean };
      if (error.superseded || id !== this.#request || this.#stopped) return;
      this.#engineLog.warn(`generation failed (${error.message}); the loop plays on`);
      this.#status.unshift(`generation failed: ${error.message}`);
    } finally {
      this.#generating--;
      this.#dirty = true;
    }
  }

  /**
   * Switches model (ag11, ag2, baseline). The loop plays on while the new one
   * loads. Switches run one after another, so the last one asked for is the
   * one that stays, and no loaded model is left behind.
   */
  selectModel(name: string): Promise<void> {
    if (!(BOX_MODELS as readonly string[]).includes(name)) return Promise.reject(new Error(`model "${name}": expected one of ${BOX_MODELS.join(', ')}`));
    if (this.#engineStatus === 'loading' && this.#engine) {
      // Already loading what is asked for: that switch is this one.
      if (name === this.#model) return this.#modelSwitch;
      // A model no longer wanted: stop its load, so this switch need not wait for it (its switch then ends quietly).
      const unwanted = this.#engine;
      this.#engine = null;
      void unwanted.stop().catch(() => {});
    }
    this.#requestedModel = name as BoxModel;
    const switched = this.#modelSwitch.then(() => this.#switchModel(name as BoxModel));
    this.#modelSwitch = switched.catch(() => {});
    return switched;
  }

  async #switchModel(name: BoxModel): Promise<void> {
    if (this.#stopped || (name === this.#model && this.modelLoaded)) return;
    const old = this.#engine;
    this.#engine = null;
    await old?.stop().catch(() => {});
    if (this.#stopped) return; // shut down meanwhile: no worker may start now
    this.#model = name;
    await this.#startEngine(this.#model);
    if (!this.modelLoaded) this.#playScore(this.#settings.switchAt);
    this.#scheduleSave();
  }

  /** Saves the working state into slot 0..15 (and makes it the current slot). */
  async saveSlot(slot: number): Promise<void> {
    if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) throw new RangeError(`slot ${slot}: expected 0..${SLOT_COUNT - 1}`);
    const data = this.#slotData();
    await this.#slots.save(slot, data);
    this.#slot = slot;
    this.#say(`saved to slot ${slot + 1}`);
    this.#scheduleSave();
  }

  /** Loads slot 0..15: gestures, loop (at the next loop boundary), tempo, model settings. */
  async loadSlot(slot: number): Promise<boolean> {
    if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) throw new RangeError(`slot ${slot}: expected 0..${SLOT_COUNT - 1}`);
    let data: SlotData | null;
    try {
      data = await this.#slots.load(slot);
    } catch (err) {
      if (err instanceof SlotCorruptError) {
        this.#status.unshift(`slot ${slot + 1} was unreadable; kept as ${path.basename(err.keptAs)}`);
        this.#dirty = true;
        return false;
      }
      throw err;
    }
    if (!data) {
      this.#say(`slot ${slot + 1} is empty`);
      return false;
    }
    this.#slot = slot;
    await this.#apply(data, this.#settings.switchAt);
    this.#say(`loaded slot ${slot + 1}`);
    this.#scheduleSave();
    return true;
  }

  /** The loop as a Standard MIDI File, named after the slot and the time. */
  midiFile(): { filename: string; bytes: Uint8Array } {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const slot = String((this.#slot ?? 0) + 1).padStart(2, '0');
    return { filename: `groovebox-slot${slot}-${stamp}.mid`, bytes: patternsToMidi(this.loop, { bpm: this.sequencer.targetBpm }) };
  }

  /** Writes the loop as a MIDI file into the current slot's folder (slot 1 when none); returns the path. */
  async exportMidi(): Promise<string> {
    const { filename, bytes } = this.midiFile();
    const dir = this.#slots.slotDir(this.#slot ?? 0);
    const file = path.join(dir, filename);
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(file, bytes);
    this.#say(`exported the loop to ${file}`);
    return file;
  }

  /** The panel's extra controls. Errors are for the page that sent the command. */
  async command(command: PanelCommand): Promise<void> {
    switch (command.command) {
      case 'tempo':
        return this.setTempo(command.bpm);
      case 'model':
        return this.selectModel(command.name);
      case 'save':
        return this.saveSlot(command.slot);
      case 'load':
        await this.loadSlot(command.slot);
        return;
    }
  }

  /** Everything the panel shows, as plain JSON. */
  snapshot(): PanelSnapshot {
    const ui = this.capture.ui;
    this.#loopJSON ??= this.loop.toJSON();
    return {
      leds: this.#colors(),
      playhead: this.#playhead,
      playing: this.sequencer.playing,
      bpm: this.sequencer.targetBpm,
      page: ui.bar,
      mode: ui.mode,
      drum: ui.drum,
      gestures: this.capture.state,
      pattern: this.#loopJSON,
      reconstructions: this.#reconstructions,
      model: this.#model,
      models: [...BOX_MODELS],
      take: this.capture.recorder.phase(),
      generating: this.#generating > 0,
      status: this.#status.slice(0, STATUS_LINES),
    };
  }

  /**
   * SIGTERM/SIGINT: silence first (MIDI stop and note-offs leave at once),
   * then the working state is saved, then the worker goes. Idempotent.
   */
  async shutdown(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#cancelRefresh?.();
    this.#clockInput?.close();
    this.#options.clockInput?.dispose?.();
    this.#audioMemory?.stop();
    this.#cancelSave?.();
    // The sequencer's stop event makes MidiOut send STOP and release every note now; close() releases anything left.
    this.sequencer.stop();
    const midiClosed = this.midi?.close();
    for (const off of this.#unsubscribe.splice(0)) off();
    const engine = this.#engine;
    this.#engine = null;
    await Promise.all([
      midiClosed,
      // Always written: the working state on disk is then exactly what was playing when the box stopped.
      this.#saveWorking().catch((err: Error) => this.#log.error(`could not save the working state at shutdown (${err.message}); the previous save is intact`)),
      engine?.stop().catch(() => {}),
    ]);
    // A slot save from the panel may still be on its way to the disk: let it land.
    await this.#slots.flush();
  }

  // --- internals -----------------------------------------------------------

  async #restoreWorking(): Promise<WorkingState | null> {
    let working: WorkingState | null = null;
    try {
      working = await this.#slots.loadWorking();
    } catch (err) {
      if (!(err instanceof SlotCorruptError)) throw err;
      this.#status.unshift('the saved working state was unreadable; starting empty');
    }
    if (!working) {
      this.#log.info(`no saved state in ${this.#slots.dir}; starting empty`);
      return null;
    }
    this.#slot = working.slot;
    // The model is not running yet: take the saved choice (unless --model said otherwise), boot starts it.
    if (!this.#settings.modelPinned) this.#model = this.#requestedModel = working.model;
    await this.#apply({ ...working, model: this.#model }, 'step');
    this.#log.info(`restored the working state${working.slot !== null ? ` (slot ${working.slot + 1})` : ''}: ${working.loop ? working.loop.notes.length : 0} notes at ${working.bpm} BPM`);
    return working;
  }

  async #apply(data: SlotData, at: 'loop' | 'bar' | 'step'): Promise<void> {
    // A generation still in flight belongs to the gestures being replaced: its loop must not land.
    this.#request++;
    this.capture.load(data.gestures);
    this.setTempo(data.bpm);
    this.#temperature = data.temperature;
    this.#seed = data.seed;
    this.#reconstructions = null;
    this.capture.setInterpretation(null);
    if (data.loop) this.sequencer.setPattern(Pattern.fromJSON(data.loop, 'loop'), at);
    else if (this.#booted && this.modelLoaded) void this.generate();
    else this.sequencer.setPattern(new Pattern(), at);
    if (!this.modelLoaded && this.#engineStatus !== 'off') this.#playScore(at);
    this.#loopJSON = null;
    this.#dirty = true;
    // Against the model last asked for, not the one playing: a switch still queued must not win over the slot's.
    if (data.model !== this.#requestedModel) await this.selectModel(data.model);
  }

  async #startEngine(model: BoxModel): Promise<void> {
    if (this.#stopped) return;
    const modelDir = path.join(this.#settings.modelsDir, model);
    this.#engineStatus = 'loading';
    this.#dirty = true;
    const engine = this.#options.engineFactory({ modelDir, backend: this.#settings.backend ?? undefined });
    engine.on('crashed', (err) => this.#engineLog.warn(`generation worker crashed (${err.message}); restarting it, the loop plays on`));
    engine.on('log', (m) => this.#engineLog.info(m.replace(/^groovebox:engine /, '')));
    engine.on('ready', (info) => this.#engineLog.info(`model ${info.model} ready on ${info.backend} in ${Math.round(info.loadMs)} ms`));
    engine.on('failed', (err) => this.#engineFailed(engine, err));
    this.#engine = engine;
    try {
      await engine.start();
      if (this.#engine !== engine || this.#stopped) {
        // Superseded while it loaded (a newer switch, shutdown): its worker must not outlive it.
        await engine.stop().catch(() => {});
        return;
      }
      this.#engineStatus = 'ready';
      this.#modelError = null;
    } catch (err) {
      // A worker that failed to load must not be restarted in a loop: stop it for good.
      await engine.stop().catch(() => {});
      if (this.#engine !== engine) return;
      this.#withoutModel(`model ${model} not loaded`, (err as Error).message);
    }
    this.#dirty = true;
  }

  /** The worker crashed and could not be brought back: the box goes on as a plain step sequencer. */
  #engineFailed(engine: GenerationEngine, err: Error): void {
    if (this.#engine !== engine) return;
    void engine.stop().catch(() => {});
    this.#withoutModel(`model ${this.#model} lost`, err.message);
    if (!this.#stopped) this.#playScore(this.#settings.switchAt);
    this.#dirty = true;
  }

  /** No engine from now on (until the next model switch): one error line and a status line say why. */
  #withoutModel(what: string, why: string): void {
    this.#engine = null;
    this.#engineStatus = 'failed';
    this.#modelError = why;
    this.#engineLog.error(`${what} (${why}); playing the score as programmed (plain step sequencer)`);
    this.#status.unshift(`no model: ${why}`);
  }

  /** Without a model the score is the loop. */
  #playScore(at: 'loop' | 'bar' | 'step'): void {
    this.sequencer.setPattern(scoreAsPattern(this.capture.state, this.#settings.stepVelocity), at);
    this.#loopJSON = null;
    this.#dirty = true;
  }

  #attachDevices(): void {
    const { grid, tapPad, buttons, tempo } = this.#devices;
    if (grid) this.#unsubscribe.push(grid.onKey((e) => this.#onKey(e)));
    if (buttons) this.#unsubscribe.push(buttons.onButton((e) => this.#onButton(e)));
    if (tapPad) this.#unsubscribe.push(tapPad.onHit((h) => { this.capture.handleHit(h); this.#dirty = true; }));
    // From the tempo last asked for: detents turned within one 16th must all count.
    if (tempo) this.#unsubscribe.push(tempo.onTurn((detents) => this.setTempo(this.sequencer.targetBpm + detents)));
  }

  #onKey(event: KeyEvent): void {
    if (this.#slotPage) {
      if (!event.pressed) return;
      this.#slotPage = false;
      this.#dirty = true;
      // SHIFT + key saves into that slot, the key alone loads it.
      const action = this.#shift ? this.saveSlot(event.key) : this.loadSlot(event.key);
      action.catch((err: Error) => this.#log.error(`slot ${event.key + 1}: ${err.message}`));
      return;
    }
    this.capture.handleKey(event);
    this.#dirty = true;
  }

  #onButton(event: ButtonEvent): void {
    if (event.button === 'shift') this.#shift = event.pressed;
    this.capture.handleButton(event);
    this.#dirty = true;
    if (!event.pressed) return;
    if (event.button === 'play') {
      if (this.#shift) {
        this.#slotPage = !this.#slotPage;
        return;
      }
      if (this.sequencer.playing) this.stop();
      else this.play();
    } else if (event.button === 'generate') {
      void this.generate();
    }
  }

  #onGestures(_state: GestureState, action: string): void {
    this.#log.debug(action);
    // The plain step sequencer follows edits at once, like any step sequencer; a model waits for GENERATE.
    if (!this.modelLoaded) this.#playScore('step');
    this.#dirty = true;
    this.#scheduleSave();
  }

  /** The sequencer hands out pulses ahead of time; the playhead moves when their time comes. */
  #trackPlayhead(event: SequencerEvent): void {
    if (event.type === 'pulse' && event.pulse % PULSES_PER_STEP === 0) this.#upcoming.push([event.time, event.pulse / PULSES_PER_STEP]);
    else if (event.type === 'stop') {
      this.#upcoming = [];
      this.#playhead = null;
      this.#dirty = true;
    } else if (event.type === 'start' || event.type === 'continue') {
      this.#upcoming = [];
      // PLAY during a take: its grid was a count-in's guess; the take starts again on the loop's first downbeat.
      if (this.capture.recorder.phase() !== 'idle') this.capture.rearm();
    }
    // A loop switch is decided when its first cell is scheduled: the panel's drum-roll follows.
    if (event.type === 'note' && event.step === 0) this.#loopJSON = null;
  }

  #refresh(): void {
    if (this.#stopped) return;
    const now = this.clock.now();
    while (this.#upcoming.length > 0 && this.#upcoming[0][0] <= now) {
      const step = ((this.#upcoming.shift()![1] % STEPS) + STEPS) % STEPS;
      if (step !== this.#playhead) {
        this.#playhead = step;
        this.#dirty = true;
      }
    }
    if (this.capture.recorder.window) this.#dirty = true; // count-in and take animate on the grid
    this.#checkDevices(now);
    if (this.#dirty) {
      this.#dirty = false;
      const colors = this.#colors();
      this.#devices.grid?.show(colors).then(
        () => { this.#lastGridError = null; },
        (err: Error) => {
          // The driver retries the bus itself; one line per distinct problem, not one per frame.
          if (err.message !== this.#lastGridError) this.#log.warn(`grid LEDs: ${err.message}`);
          this.#lastGridError = err.message;
        },
      );
      if (this.#options.panel) {
        try {
          this.#options.panel.publish(this.snapshot());
        } catch (err) {
          this.#log.warn(`panel publish failed: ${(err as Error).message}`);
        }
      }
    }
    this.#cancelRefresh = this.clock.setTimeout(() => this.#refresh(), this.#options.refreshInterval ?? 1 / 30);
  }

  #colors(): Rgb[] {
    const colors = this.#slotPage ? this.#slotColors() : this.capture.colors(this.#playhead);
    // One key, not the whole grid: the rest still shows what it did.
    if (this.#trouble) colors[ERROR_KEY] = errorKeyLit(this.clock.now()) ? ERROR_COLOUR : ERROR_OFF_COLOUR;
    return colors;
  }

  #slotColors(): Rgb[] {
    const filled = this.#slots.filled();
    return Array.from({ length: GRID_KEYS }, (_, k) => (k === this.#slot ? SLOT_CURRENT : filled[k] ? SLOT_FILLED : SLOT_EMPTY));
  }

  /** The drivers retry I2C errors themselves; the box shows that they are: a status line when trouble starts, a blinking key while it lasts. */
  #checkDevices(now: Seconds): void {
    const trouble = firstTrouble([this.#devices.grid, this.#devices.tapPad]);
    if (trouble && !this.#trouble) this.#say(`${trouble} (the bottom-right key flashes red and white until it recovers)`);
    const lit = trouble !== null && errorKeyLit(now);
    // Trouble ending in the white half leaves `lit` false as it was: the key must still be redrawn.
    if (lit !== this.#errorLit || (trouble === null) !== (this.#trouble === null)) this.#dirty = true;
    this.#trouble = trouble;
    this.#errorLit = lit;
  }

  #slotData(): SlotData {
    return {
      gestures: this.capture.state,
      loop: this.loop.toJSON(),
      bpm: this.sequencer.targetBpm,
      model: this.#model,
      temperature: this.#temperature,
      seed: this.#seed,
    };
  }

  #scheduleSave(): void {
    if (this.#stopped || !this.#booted) return;
    this.#cancelSave?.();
    this.#cancelSave = this.clock.setTimeout(() => {
      this.#cancelSave = null;
      this.#saveWorking().catch((err: Error) => this.#log.error(`could not save the working state (${err.message}); the previous save is intact`));
    }, this.#options.saveDelay ?? 1);
  }

  #saveWorking(): Promise<void> {
    return this.#slots.saveWorking({ ...this.#slotData(), slot: this.#slot });
  }

  #say(message: string): void {
    this.#log.info(message);
    this.#show(message);
  }

  /** A line on the panel's status (newest first), without logging it. */
  #show(message: string): void {
    this.#status.unshift(message);
    if (this.#status.length > STATUS_LINES) this.#status.length = STATUS_LINES;
    this.#dirty = true;
  }
}

function errorKeyLit(now: Seconds): boolean {
  return Math.floor(now * 2 * ERROR_BLINK_HZ) % 2 === 0;
}

/** The engine's input: typed arrays from the plain-JSON gesture state. */
export function engineGestures(state: GestureState): Gestures {
  const g = toModelGestures(state);
  return { drums: g.drumScores, groove: g.groove, accent: g.accent };
}

/** The 2-input model and the baseline hear the score as one 32x9 block; the panel and the LEDs show it per drum. */
function perDrum(r: Reconstructions): Reconstructions {
  if (r.drums || !r.score) return r;
  const drums = Array.from({ length: DRUM_COUNT }, (_, d) => Float32Array.from({ length: STEPS }, (_, s) => r.score![s * DRUM_COUNT + d]));
  return { ...r, drums };
}

function interpretationOf(r: Reconstructions): Interpretation {
  const scores = r.drums ? r.drums.map((row) => row ?? new Float32Array(STEPS)) : undefined;
  return { scores, groove: r.groove ? { ...r.groove } : undefined, accent: r.accent };
}

/** A broken output must not flood the journal: the first failure of a run and then every 1000th. */
function listenerErrorLog(log: BoxLog): (error: unknown, event: SequencerEvent) => void {
  return throttledReport((count, error: unknown, event: SequencerEvent) => log.warn(`an output threw on a ${event.type} event (${count} so far): ${(error as Error)?.message ?? error}`));
}

function openMidi(options: NonNullable<GrooveBoxOptions['midi']>, clock: Clock, log: (message: string) => void): MidiSink {
  const common = { noteMap: options.noteMap, sendClock: options.sendClock, noteLength: options.noteLength, retryInterval: options.retryInterval, log };
  if ('thread' in options) return new MidiThread({ ...common, port: options.thread, realtime: options.realtime });
  return new MidiOut({ ...common, clock, open: options.open, precise: options.precise, onSend: options.onSend });
}
