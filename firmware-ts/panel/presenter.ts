import type { Rgb } from '../devices/interfaces.js';
import type { EditorUi } from '../gestures/editor.js';
import type { GestureState } from '../gestures/state.js';
import type { Reconstructions } from '../model/generator.js';
import type { Pattern, PatternJSON } from '../pattern/pattern.js';
import { reconstructionsToJSON, type PanelSnapshot, type ReconstructionsJSON } from './protocol.js';

/** What the panel shows, read from the box's parts at the moment of a snapshot. */
export interface PanelSource {
  leds(): Rgb[];
  playhead(): number | null;
  playing(): boolean;
  bpm(): number;
  ui(): EditorUi;
  gestures(): GestureState;
  /** The loop playing now (or queued for the loop boundary). */
  loop(): Pattern;
  /** The model's reconstructions from the last generation (null: none). */
  heard(): Reconstructions | null;
  model(): string;
  models(): string[];
  take(): 'idle' | 'count-in' | 'recording';
  generating(): boolean;
  status(): string[];
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
  readonly #source: PanelSource;
  #loop: { pattern: Pattern; json: PatternJSON } | null = null;
  #heard: { from: Reconstructions | null; json: ReconstructionsJSON | null } = { from: null, json: null };

  constructor(source: PanelSource) {
    this.#source = source;
  }

  snapshot(): PanelSnapshot {
    const s = this.#source;
    const ui = s.ui();
    return {
      leds: s.leds(),
      playhead: s.playhead(),
      playing: s.playing(),
      bpm: s.bpm(),
      page: ui.bar,
      mode: ui.mode,
      drum: ui.drum,
      gestures: s.gestures(),
      pattern: this.#loopJSON(),
      reconstructions: this.#heardJSON(),
      model: s.model(),
      models: s.models(),
      take: s.take(),
      generating: s.generating(),
      status: s.status(),
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

  #loopJSON(): PatternJSON {
    const pattern = this.#source.loop();
    if (this.#loop?.pattern !== pattern) this.#loop = { pattern, json: pattern.toJSON() };
    return this.#loop.json;
  }

  #heardJSON(): ReconstructionsJSON | null {
    const heard = this.#source.heard();
    if (this.#heard.from !== heard) this.#heard = { from: heard, json: reconstructionsToJSON(heard) };
    return this.#heard.json;
  }
}
