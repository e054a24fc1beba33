import type { Unsubscribe } from '../devices/interfaces.js';
import { GestureCapture } from '../gestures/capture.js';
import { PanelModes } from '../gestures/panel-modes.js';
import { AudioOut } from '../outputs/audio/audio-out.js';
import { NativeAudioMemory } from '../outputs/audio/native-memory.js';
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
import type { BoxLog } from './log.js';
import { ModelHost, type EngineStatus } from './model-host.js';
import type { BootReport, GrooveBoxOptions } from './options.js';
import { listenerErrorLog, openMidi } from './outputs.js';
import { Playhead } from './playhead.js';
import type { BoxControl } from './snapshot.js';
import { StatusLines } from './status-lines.js';
import { Transport } from './transport.js';
import { WorkingStateKeeper } from './working-state.js';

export type { BootReport, BoxDevices, BoxSettings, GrooveBoxOptions } from './options.js';
export { engineGestures, type EngineStatus } from './model-host.js';

/**
 * The composition root: gesture capture -> generation engine -> sequencer ->
 * MIDI and audio, with slots, LEDs and the panel view. Every part is handed
 * in or built here from what is handed in; nothing is global, so tests run
 * the whole box on fakes and an offline clock. The jobs live in their own
 * modules (the model host, the working state, the panel modes, the transport,
 * the LED frame, the panel presenter, the status lines); they raise one
 * ChangeSignal, and the frame loop redraws the LEDs and the panel after it.
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
  readonly #log: BoxLog;
  readonly #changed = new ChangeSignal();
  readonly #status: StatusLines;
  readonly #host: ModelHost;
  readonly #working: WorkingStateKeeper;
  readonly #transport: Transport;
  readonly #playhead: Playhead;
  readonly #leds: LedFrame;
  readonly #presenter: PanelPresenter;
  readonly #frames: FrameLoop;
  /** Returns the audio engine's native memory (see native-memory.ts); null without audio. */
  readonly #audioMemory: NativeAudioMemory | null;
  readonly #unsubscribe: Unsubscribe[] = [];
  #lastGeneration: Promise<void> = Promise.resolve();
  #stopped = false;
  #booted = false;

  constructor(options: GrooveBoxOptions) {
    const { clock, settings, logs, devices } = options;
    const changed = this.#changed;
    this.#options = options;
    this.clock = clock;
    const log = (this.#log = logs('box'));
    const status = (this.#status = new StatusLines(log, changed));
    const seqLog = logs('sequencer');
    const sequencer = (this.sequencer = new Sequencer({ clock, bpm: settings.bpm, switchAt: settings.switchAt, warn: (m) => seqLog.warn(m), onListenerError: listenerErrorLog(seqLog) }));
    const capture = (this.capture = new GestureCapture({ clock, bpm: () => sequencer.targetBpm, nextDownbeat: (now) => sequencer.nextLoopStart(now) }));
    const midiLog = logs('midi');
    this.midi = options.midi ? openMidi(options.midi, clock, (m) => midiLog.info(m)) : null;
    this.audio = options.audio ? new AudioOut({ context: options.audio.context, clock, gain: options.audio.gain, log: (m) => logs('audio').warn(m) }) : null;
    this.#audioMemory = options.audio ? new NativeAudioMemory(clock, (m) => logs('audio').info(m)) : null;

    const host = (this.#host = new ModelHost({
      engineFactory: options.engineFactory, modelsDir: settings.modelsDir, backend: settings.backend ?? null, model: settings.model,
      log: logs('engine'), status, changed, random: options.random ?? Math.random,
      onGenerated: (generation) => this.#working.play(generation),
      onLost: () => this.#working.playScore(settings.switchAt),
      onSwitched: () => {
        if (!host.loaded) this.#working.playScore(settings.switchAt);
        this.#working.scheduleSave();
      },
    }));
    this.#transport = new Transport({ clock, sequencer, capture, status, changed, log, onTempo: () => this.#working.scheduleSave() });
    this.#working = new WorkingStateKeeper({
      clock, slots: options.slots, sequencer, capture, host, status, changed, log, settings, saveDelay: options.saveDelay,
      setTempo: (bpm) => this.setTempo(bpm), generate: () => void this.generate(),
    });
    const modes = (this.modes = new PanelModes({
      capture, changed: () => changed.raise(),
      play: () => (sequencer.playing ? this.stop() : this.play()),
      generate: () => void this.generate(),
      slotKey: (slot, save) => void (save ? this.saveSlot(slot) : this.loadSlot(slot)).catch((err: Error) => log.error(`slot ${slot + 1}: ${err.message}`)),
    }));
    const playhead = (this.#playhead = new Playhead(changed));
    const slots = { filled: () => options.slots.filled(), current: () => this.#working.slot };
    const leds = (this.#leds = new LedFrame({ clock, capture, modes, grid: devices.grid, tapPad: devices.tapPad, slots, playhead: () => playhead.step, status, changed, log }));
    this.#presenter = new PanelPresenter({
      leds: () => leds.colors(), playhead: () => playhead.step, playing: () => sequencer.playing, bpm: () => sequencer.targetBpm,
      ui: () => capture.ui, gestures: () => capture.state, loop: () => this.loop, heard: () => host.heard,
      model: () => host.model, models: () => [...BOX_MODELS], take: () => capture.recorder.phase(), generating: () => host.generating, status: () => status.lines(),
    });
    this.#frames = new FrameLoop({
      clock, changed, interval: options.refreshInterval ?? 1 / 30,
      poll: (now) => {
        playhead.advance(now);
        if (capture.recorder.window) changed.raise(); // count-in and take animate on the grid
        leds.checkDevices(now);
      },
      draw: () => {
        leds.show();
        if (options.panel) this.#presenter.publish(options.panel, (m) => log.warn(m));
      },
    });
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
    const memory = this.#audioMemory;
    return memory && memory.runs > 0 ? { runs: memory.runs, longestMs: Math.round(memory.longestMs * 10) / 10 } : null;
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

    if (this.midi) this.#unsubscribe.push(this.midi.attach(this.sequencer));
    if (this.audio) this.#unsubscribe.push(this.audio.attach(this.sequencer));
    this.#unsubscribe.push(this.sequencer.on((e) => this.#playhead.hear(e)), this.#transport.attach());
    const midiOpen = this.midi ? this.midi.connect() : Promise.resolve(false);
    // The kit renders (off this thread) while the model loads; a render that hangs does not hold up the box
    // (AudioOut drops notes until its kit is there).
    const kitReady = this.audio ? new Promise<void>((resolve) => {
      const cancel = this.clock.setTimeout(resolve, 5);
      void this.audio!.ready.then(() => { cancel(); resolve(); });
    }) : null;
    await Promise.all([midiOpen, this.#host.start(), kitReady]);
    if (!this.modelLoaded) this.#working.playScore('step');
    else if (!restored?.loop) void this.generate();

    const { grid, tapPad, buttons, tempo } = this.#options.devices;
    this.#unsubscribe.push(this.modes.attach({ grid, buttons, tapPad }));
    // From the tempo last asked for: detents turned within one 16th must all count.
    if (tempo) this.#unsubscribe.push(tempo.onTurn((detents) => this.setTempo(this.sequencer.targetBpm + detents)));
    if (this.#options.clockInput && !this.#stopped) await this.#transport.follow(this.#options.clockInput, this.#options.logs);
    this.capture.onChange((_state, action) => this.#working.edited(action));
    if (!this.#stopped) this.#frames.start();
    if (!this.#stopped) this.#audioMemory?.start();
    if (this.#options.settings.autoplay) this.play();
    const audio = this.#options.audio;
    return {
      modelLoaded: this.modelLoaded, model: this.model, modelError: this.#host.error, midi: this.midi?.portName ?? null,
      audio: !audio ? 'off' : audio.audible ? 'sound card' : 'silent sink',
    };
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

  /**
   * GENERATE: the given gestures go to the model as they are, the unspecified
   * factors are sampled again with a new seed; the loop takes over at the next
   * loop boundary. A newer request supersedes this one. Resolves when the
   * result is queued (or dropped); never rejects.
   */
  generate(): Promise<void> {
    const asked = this.#host.generate(this.capture.state, this.#working.temperature);
    if (!asked) this.#working.playScore(this.#options.settings.switchAt);
    this.#lastGeneration = asked ?? Promise.resolve();
    return this.#lastGeneration;
  }

  /** The latest GENERATE (from a button, the panel or boot), settled when its loop is queued or dropped. */
  get generation(): Promise<void> {
    return this.#lastGeneration;
  }

  /** Switches model (ag11, ag2, baseline); the loop plays on while the new one loads. See ModelHost.select. */
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

  /** The loop as a Standard MIDI File, named after the slot and the time. */
  midiFile(): { filename: string; bytes: Uint8Array } {
    return this.#working.midiFile();
  }

  /** Writes the loop as a MIDI file into the current slot's folder (slot 1 when none); returns the path. */
  exportMidi(): Promise<string> {
    return this.#working.exportMidi();
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
    this.#options.clockInput?.dispose?.();
    this.#audioMemory?.stop();
    this.#working.stop();
    // The sequencer's stop event makes MidiOut send STOP and release every note now; close() releases anything left.
    this.sequencer.stop();
    const midiClosed = this.midi?.close();
    for (const off of this.#unsubscribe.splice(0)) off();
    const engineStopped = this.#host.stop();
    await Promise.all([
      midiClosed,
      // Always written: the working state on disk is then exactly what was playing when the box stopped.
      this.#working.saveNow().catch((err: Error) => this.#log.error(`could not save the working state at shutdown (${err.message}); the previous save is intact`)),
      engineStopped,
    ]);
    // A slot save from the panel may still be on its way to the disk: let it land.
    await this.#options.slots.flush();
  }
}
