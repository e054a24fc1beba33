import type { Unsubscribe } from '../devices/interfaces.js';
import { GestureCapture } from '../controls/capture.js';
import { PanelModes } from '../controls/panel-modes.js';
import type { AudioOut } from '../outputs/audio/audio-out.js';
import type { MidiSink } from '../outputs/midi/midi-sink.js';
import type { PanelCommand, PanelSnapshot } from '../panel/protocol.js';
import { PanelPresenter } from '../panel/presenter.js';
import type { Pattern } from '../pattern/pattern.js';
import { Sequencer } from '../sequencer/sequencer.js';
import type { Clock } from '../time/clock.js';
import { ChangeSignal } from './changed.js';
import { BOX_MODELS, type BoxModel } from './config.js';
import { FrameLoop } from './frame-loop.js';
import { LedFrame } from './led-frame.js';
import { ModelHost, type EngineStatus } from './model-host.js';
import { runPanelCommand } from './panel-commands.js';
import { GestureSources } from './gesture-sources.js';
import type { BootReport, GrooveBoxOptions } from './options.js';
import { listenerErrorLog, SoundOutputs } from './outputs.js';
import { Playhead } from './playhead.js';
import type { BoxControl } from './snapshot.js';
import { StatusLines } from './status-lines.js';
import { Transport } from './transport.js';
import { WorkingStateKeeper } from './working-state.js';

export type { BootReport, BoxDevices, BoxSettings, GrooveBoxOptions } from './options.js';
export type { EngineStatus } from './model-host.js';

/**
 * The composition root: gesture capture -> generation engine -> sequencer ->
 * MIDI and audio, with slots, LEDs and the panel view. Every part is handed
 * in or built here from what is handed in; nothing is global, so tests run
 * the whole box on fakes and an offline clock. Each job has its own module.
 * A tap's path: the devices -> PanelModes (SHIFT, the slot page) ->
 * GestureCapture -> WorkingStateKeeper (what plays; saves) -> ModelHost (the
 * generation engine) -> Sequencer -> SoundOutputs (MIDI, audio). Every part
 * raises one ChangeSignal when what the performer sees changes; the FrameLoop
 * then redraws the LedFrame and the panel (PanelPresenter) once.
 *
 * The timing rule: nothing on the sequencer's path awaits the model, the
 * disk or a big JSON. Generation results and slot loads arrive as promises
 * and only swap a Pattern reference; saves run in the background.
 */
export class GrooveBox implements BoxControl {
  readonly clock: Clock;
  readonly sequencer: Sequencer;
  readonly capture: GestureCapture;
  /** What the keys and buttons mean now: SHIFT, the slot page. */
  readonly modes: PanelModes;
  readonly midi: MidiSink | null;
  readonly audio: AudioOut | null;
  readonly #options: GrooveBoxOptions;
  readonly #outputs: SoundOutputs;
  readonly #host: ModelHost;
  readonly #working: WorkingStateKeeper;
  readonly #transport: Transport;
  readonly #playhead: Playhead;
  readonly #presenter: PanelPresenter;
  /** MIDI notes and the microphone, each null when the box takes none. */
  readonly notes: GestureSources['notes'];
  readonly microphone: GestureSources['microphone'];
  readonly #sources: GestureSources;
  readonly #frames: FrameLoop;
  readonly #unsubscribe: Unsubscribe[] = [];
  #stopped = false;
  #booted = false;

  constructor(options: GrooveBoxOptions) {
    const { clock, settings, logs } = options;
    this.#options = options;
    this.clock = clock;
    const changed = new ChangeSignal();
    const log = logs('box');
    const status = new StatusLines(log, changed);
    const seqLog = logs('sequencer');
    const { bpm, switchAt } = settings;
    const [warn, onListenerError] = [(m: string): void => seqLog.warn(m), listenerErrorLog(seqLog)];
    const sequencer = (this.sequencer = new Sequencer({ clock, bpm, switchAt, warn, onListenerError }));
    const [tempo, nextDownbeat] = [() => sequencer.targetBpm, (t: number) => sequencer.nextLoopStart(t)];
    const capture = (this.capture = new GestureCapture({ clock, bpm: tempo, nextDownbeat }));
    const outputs = (this.#outputs = new SoundOutputs(options, clock, logs));
    this.midi = outputs.midi;
    this.audio = outputs.audio;

    const parts = { clock, sequencer, capture, status, changed, log };
    const host = (this.#host = new ModelHost({ ...parts, log: logs('engine') }, options));
    const transport = (this.#transport = new Transport({ ...parts, onTempo: () => working.scheduleSave() }));
    const working = (this.#working = new WorkingStateKeeper({ ...parts, host, transport }, options));
    const play = (): void => transport.toggle();
    const generate = (): void => void working.generate();
    const slotKey = (slot: number, save: boolean): void => working.slotKey(slot, save);
    const modes = (this.modes = new PanelModes({ capture, changed: () => changed.raise(), play, generate, slotKey }));
    const playhead = (this.#playhead = new Playhead(changed));
    const sources = (this.#sources = new GestureSources({ ...parts, modes }, options));
    const [notes, microphone] = [(this.notes = sources.notes), (this.microphone = sources.microphone)];
    const leds = new LedFrame({ ...parts, modes, playhead, currentSlot: () => working.slot }, options);
    const shown = { leds, playhead, model: host, models: BOX_MODELS, outputs, loop: (): Pattern => working.loop };
    const presenter = (this.#presenter = new PanelPresenter({ ...parts, ...shown, midiIn: notes, microphone }));
    const draw = (): void => {
      leds.show();
      if (options.panel) presenter.publish(options.panel, (m) => log.warn(m));
    };
    const poll = (now: number): void => {
      leds.poll(now);
      sources.poll(now);
    };
    this.#frames = new FrameLoop({ clock, changed, interval: options.refreshInterval ?? 1 / 30, poll, draw });
  }

  get model(): BoxModel {
    return this.#host.model;
  }

  get engineStatus(): EngineStatus {
    return this.#host.status;
  }

  /** True while the box plays from a model; false: the plain step sequencer (no model, or it failed to load). */
  get modelLoaded(): boolean {
    return this.#host.loaded;
  }

  /** The audio engine's timed full collections so far (null without audio, or without --expose-gc). */
  get audioCollections(): { runs: number; longestMs: number } | null {
    return this.#outputs.audioCollections;
  }

  get currentSlot(): number | null {
    return this.#working.slot;
  }

  get slotPage(): boolean {
    return this.modes.slotPage;
  }

  /** The loop playing now (or about to, when one is queued for the loop boundary: `sequencer.pendingPattern`). */
  get loop(): Pattern {
    return this.#working.loop;
  }

  /**
   * Restores the working state, opens the outputs, loads the model (a missing
   * or broken model is one error line and the plain step sequencer), attaches
   * the devices and starts the LED refresh. Resolves when the box is playable.
   */
  async boot(): Promise<BootReport> {
    if (this.#booted) throw new Error('GrooveBox.boot: already booted');
    this.#booted = true;
    const restored = await this.#working.restore();
    this.#unsubscribe.push(...this.#outputs.attach(this.sequencer), this.#playhead.attach(this.sequencer));
    this.#unsubscribe.push(this.#transport.attach());
    await Promise.all([this.#outputs.open(), this.#host.start()]);
    if (!this.modelLoaded) this.#working.playScore('step');
    else if (!restored?.loop) void this.generate();

    const { devices, clockInput, noteInput, logs } = this.#options;
    const { grid, buttons, tempo } = devices;
    const tapPad = await this.#sources.openTapPads(devices.tapPad);
    this.#unsubscribe.push(this.modes.attach({ grid, buttons, tapPad }));
    // From the tempo last asked for: detents turned within one 16th must all count.
    if (tempo) this.#unsubscribe.push(tempo.onTurn((detents) => this.setTempo(this.sequencer.targetBpm + detents)));
    if (clockInput && !this.#stopped) await this.#transport.follow(clockInput, logs, noteInput?.port === 'clock');
    if (!this.#stopped) await this.#sources.openNotes(this.#transport.clockInput);
    this.capture.onChange((state, action) => this.#working.edited(action, state));
    if (!this.#stopped) this.#frames.start();
    if (!this.#stopped) this.#outputs.start();
    if (this.#options.settings.autoplay) this.play();
    const [midi, audio] = [this.midi?.portName ?? null, this.#outputs.audioKind];
    return { modelLoaded: this.modelLoaded, model: this.model, modelError: this.#host.error, midi, audio };
  }

  play(): void {
    this.#transport.play();
  }

  stop(): void {
    this.#transport.stop();
  }

  setTempo(bpm: number): void {
    this.#transport.setTempo(bpm);
  }

  /** GENERATE: a new loop from the gestures, at the next loop boundary (see WorkingStateKeeper.generate). Never rejects. */
  generate(): Promise<void> {
    return this.#working.generate();
  }

  /** The latest GENERATE (from a button, the panel, a slot or boot), settled when its loop is queued or dropped. */
  get generation(): Promise<void> {
    return this.#working.generation;
  }

  /** Switches model (ag11, ag2, baseline); the loop plays on while the new one loads. */
  selectModel(name: string): Promise<void> {
    return this.#host.select(name);
  }

  /** Saves the working state into slot 0..15 (and makes it the current slot). */
  saveSlot(slot: number): Promise<void> {
    return this.#working.saveSlot(slot);
  }

  /** Loads slot 0..15: gestures, loop (at the next loop boundary), tempo, model settings. */
  loadSlot(slot: number): Promise<boolean> {
    return this.#working.loadSlot(slot);
  }

  midiFile(): { filename: string; bytes: Uint8Array } {
    return this.#working.midiFile();
  }

  /** Writes the loop as a MIDI file into the current slot's folder (slot 1 when none); returns the path. */
  exportMidi(): Promise<string> {
    return this.#working.exportMidi();
  }

  /** The panel's extra controls. Errors are for the page that sent the command. */
  command(command: PanelCommand): Promise<void> {
    return runPanelCommand(this, command);
  }

  /** Everything the panel shows, as plain JSON. */
  snapshot(): PanelSnapshot {
    return this.#presenter.snapshot();
  }

  /**
   * SIGTERM/SIGINT: silence first (MIDI stop and note-offs leave at once),
   * then the working state is saved, then the worker goes. Idempotent.
   */
  async shutdown(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#frames.stop();
    this.#transport.close();
    const sourcesClosed = this.#sources.close();
    this.#options.clockInput?.dispose?.();
    this.#outputs.stopUpkeep();
    this.#working.stop();
    // The sequencer's stop event makes MidiOut send STOP and release every note now; close() releases anything left.
    this.sequencer.stop();
    const midiClosed = this.#outputs.close();
    for (const off of this.#unsubscribe.splice(0)) off();
    const engineStopped = this.#host.stop();
    await Promise.all([midiClosed, this.#working.saveAtShutdown(), engineStopped, sourcesClosed]);
    // A slot save from the panel may still be on its way to the disk: let it land.
    await this.#options.slots.flush();
  }
}
