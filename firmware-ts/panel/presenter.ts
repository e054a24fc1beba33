import type { Rgb } from '../devices/interfaces.js';
import type { EditorUi } from '../controls/editor.js';
import type { GestureState } from '../controls/state.js';
import type { TakeWindow } from '../controls/tap-recorder.js';
import type { Reconstructions } from '../model/generator.js';
import { STEPS, type Pattern, type PatternJSON } from '../pattern/pattern.js';
import { stepSeconds as secondsPerStep } from '../sequencer/tempo.js';
import type { Seconds } from '../time/clock.js';
import {
  reconstructionsToJSON,
  type MicrophoneSnapshot,
  type MidiInSnapshot,
  type PanelSnapshot,
  type ReconstructionsJSON,
} from './protocol.js';

/** The parts of the box the panel shows, read at the moment of a snapshot. */
export interface PanelParts {
  leds: { colors(): Rgb[] };
  playhead: { readonly step: number | null };
  /** The daemon's clock, for the count-in and the loop clock (absent: neither is shown). */
  clock?: { now(): Seconds };
  sequencer: {
    readonly playing: boolean;
    readonly targetBpm: number;
    /** The tempo now and the loop clock: without them a page cannot play along (its audio stays silent). */
    readonly bpm?: number;
    nextLoopStart?(time: Seconds): Seconds | null;
  };
  capture: {
    readonly ui: EditorUi;
    readonly state: GestureState;
    readonly recorder: { phase(): 'idle' | 'count-in' | 'recording'; readonly window: TakeWindow | null };
    /** The drums of the last take played on drum notes (absent: the capture has no such takes). */
    readonly takeDrums?: { played: boolean[]; given: boolean[] } | null;
  };
  /** The daemon's sound card, for the panel's mute (absent or null: none). */
  outputs?: { readonly boxAudio: PanelSnapshot['boxAudio'] };
  /** Whether bar 2 repeats bar 1 (absent: the box always links them). */
  /** The model playing, what it heard at the last generation (null: none), whether one is under way, and how many landed. */
  model: {
    readonly model: string;
    readonly heard: Reconstructions | null;
    readonly generating: boolean;
    readonly generations: number;
  };
  /** Models the panel may select. */
  models: readonly string[];
  status: { lines(): string[] };
  /** MIDI notes as gestures (absent or null: the box takes none). */
  midiIn?: { view(): Omit<MidiInSnapshot, 'take'> } | null;
  /** The box's microphone (absent or null: none). */
  microphone?: { view(): MicrophoneSnapshot } | null;
  /** The loop playing now (or queued for the loop boundary). */
  loop(): Pattern;
}

/** Where snapshots go: the virtual front panel's server, which must not block. */
export interface PanelView {
  publish(snapshot: PanelSnapshot): void;
}

/**
 * Builds the panel's wire type (PanelSnapshot, plain JSON) from the box's
 * parts and publishes it. The loop and the reconstructions are converted
 * once per new loop or generation, not once per frame: the loop is a new
 * Pattern whenever it changes, so its identity says when.
 */
export class PanelPresenter {
  readonly #parts: PanelParts;
  #loop: { pattern: Pattern; json: PatternJSON } | null = null;
  #heard: { from: Reconstructions | null; json: ReconstructionsJSON | null } = { from: null, json: null };

  constructor(parts: PanelParts) {
    this.#parts = parts;
  }

  snapshot(): PanelSnapshot {
    const { leds, playhead, sequencer, capture, model, models, status } = this.#parts;
    const ui = capture.ui;
    return {
      leds: leds.colors(),
      playhead: playhead.step,
      playing: sequencer.playing,
      bpm: sequencer.targetBpm,
      page: ui.bar,
      mode: ui.mode,
      drum: ui.drum,
      barsLinked: capture.state.barsLinked,
      gestures: capture.state,
      pattern: this.#loopJSON(),
      reconstructions: this.#heardJSON(),
      model: model.model,
      models: [...models],
      take: capture.recorder.phase(),
      generating: model.generating,
      generations: model.generations,
      countIn: this.#countIn(),
      transport: this.#transport(),
      boxAudio: this.#parts.outputs?.boxAudio ?? null,
      midiIn: this.#midiIn(),
      microphone: this.#parts.microphone?.view() ?? null,
      status: status.lines(),
    };
  }

  /** Sends a snapshot to the view; a view that throws is reported to `warn`, never to the caller. */
  publish(view: PanelView, warn: (message: string) => void): void {
    try {
      view.publish(this.snapshot());
    } catch (err) {
      warn(`panel publish failed: ${(err as Error).message}`);
    }
  }

  /** Beats left before the take, as the grid's count-in rows show them. */
  #countIn(): number | null {
    const window = this.#parts.capture.recorder.window;
    const now = this.#parts.clock?.now();
    if (!window || now === undefined || now >= window.start) return null;
    return Math.max(1, Math.ceil((window.start - now) / (window.stepDuration * 4) - 1e-9));
  }

  #midiIn(): MidiInSnapshot | null {
    const view = this.#parts.midiIn?.view();
    return view ? { ...view, take: this.#parts.capture.takeDrums ?? null } : null;
  }

  #transport(): PanelSnapshot['transport'] {
    const { sequencer, clock } = this.#parts;
    if (!clock || !sequencer.playing || sequencer.bpm === undefined || !sequencer.nextLoopStart) return null;
    const stepSeconds = secondsPerStep(sequencer.bpm);
    const next = sequencer.nextLoopStart(clock.now());
    return next === null ? null : { loopStart: next - STEPS * stepSeconds, stepSeconds };
  }

  #loopJSON(): PatternJSON {
    const pattern = this.#parts.loop();
    if (this.#loop?.pattern !== pattern) this.#loop = { pattern, json: pattern.toJSON() };
    return this.#loop.json;
  }

  #heardJSON(): ReconstructionsJSON | null {
    const heard = this.#parts.model.heard;
    if (this.#heard.from !== heard) this.#heard = { from: heard, json: reconstructionsToJSON(heard) };
    return this.#heard.json;
  }
}
