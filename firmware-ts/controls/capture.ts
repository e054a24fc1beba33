import type { ButtonEvent, KeyEvent, Rgb, TapHit } from '../devices/interfaces.js';
import { Listeners, type Unsubscribe } from '../support/listeners.js';
import type { Clock, Seconds } from '../time/clock.js';
import { flipPage, initialUi, nextMode, pressKey, type EditorUi } from './editor.js';
import { gridColors, type Interpretation } from './led-view.js';
import { emptyGestureState, setGroove, type GestureState } from './state.js';
import { TapRecorder, type Take, type TakeWindow } from './tap-recorder.js';

export interface GestureCaptureOptions {
  clock: Clock;
  /** The tempo now (BPM). */
  bpm: () => number;
  /** When the loop runs: its next bar-1 downbeat (a take starts there); null when stopped (a take starts after a one-bar count-in). */
  nextDownbeat?: (now: Seconds) => Seconds | null;
  initial?: GestureState;
  /** Extra time after a take to collect strokes still being scanned. */
  grace?: Seconds;
}

/**
 * Hands -> GestureState. Fed by PanelModes (which holds SHIFT and knows
 * which page the keys show) from a StepGrid, Buttons and a TapPad (real, fake
 * or the virtual panel's); keeps the state and the editor view, and tells
 * listeners when the state changes. The daemon sends the state to the model
 * on GENERATE and pushes `colors()` to the grid.
 */
export class GestureCapture {
  readonly recorder: TapRecorder;
  readonly #clock: Clock;
  readonly #nextDownbeat: (now: Seconds) => Seconds | null;
  readonly #changes = new Listeners<[GestureState, string]>();
  readonly #views = new Listeners<[EditorUi]>();
  #state: GestureState;
  #ui: EditorUi = initialUi();
  #interpretation: Interpretation | null = null;

  constructor(options: GestureCaptureOptions) {
    this.#clock = options.clock;
    this.#nextDownbeat = options.nextDownbeat ?? (() => null);
    this.#state = options.initial ?? emptyGestureState();
    this.recorder = new TapRecorder({ clock: options.clock, bpm: options.bpm, grace: options.grace });
    this.recorder.onTake((take) => this.#onTake(take));
  }

  get state(): GestureState {
    return this.#state;
  }

  get ui(): EditorUi {
    return this.#ui;
  }

  /** Listeners get the new state and a one-line description of the change. */
  onChange(listener: (state: GestureState, action: string) => void): Unsubscribe {
    return this.#changes.add(listener);
  }

  /** Listeners get the editor view (mode, drum, bar) whenever it changes: redraw the grid. */
  onView(listener: (ui: EditorUi) => void): Unsubscribe {
    return this.#views.add(listener);
  }

  onTake(listener: (take: Take) => void): Unsubscribe {
    return this.recorder.onTake(listener);
  }

  /** A key on the editor page; `shift`: the SHIFT layer (drum select and commands), as PanelModes holds it. */
  handleKey(event: KeyEvent, shift = false): void {
    if (!event.pressed) return;
    const edit = pressKey(this.#state, this.#ui, event.key, shift);
    this.#setUi(edit.ui);
    this.#set(edit.state, edit.action);
  }

  handleButton(event: ButtonEvent): void {
    if (!event.pressed) return;
    if (event.button === 'mode') this.#setUi(nextMode(this.#ui));
    else if (event.button === 'page') this.#setUi(flipPage(this.#ui));
    else if (event.button === 'rec') this.rec();
    // SHIFT, PLAY and GENERATE belong to PanelModes, the transport and the engine.
  }

  handleHit(hit: TapHit): void {
    this.recorder.hit(hit);
  }

  /** REC: arms a take; pressed again during a take, cancels it (the groove stays). */
  rec(): TakeWindow | null {
    // Just after the last bar the take is complete: keep it, and REC starts the next one.
    if (this.recorder.finishIfOver()) return this.recorder.arm(this.#nextDownbeat(this.#clock.now()));
    if (this.recorder.phase() !== 'idle') {
      this.recorder.cancel();
      return null;
    }
    return this.recorder.arm(this.#nextDownbeat(this.#clock.now()));
  }

  /**
   * The transport started or the tempo changed during a take: starts it again
   * against the loop as it now runs (taps so far would land on the wrong steps).
   */
  rearm(): TakeWindow | null {
    const window = this.recorder.window;
    if (!window) return null;
    // At the take's very end (PLAY on the next downbeat, a hair early): the take is complete, keep it.
    // Nothing can land in the last half 16th (it belongs to the next loop), so nothing is lost by ending there.
    if (this.recorder.finishIfOver(this.#clock.now() + window.stepDuration / 2)) return null;
    return this.recorder.arm(this.#nextDownbeat(this.#clock.now()));
  }

  /** Replaces the whole state (loading a slot). */
  load(state: GestureState): void {
    this.#set(state, 'loaded');
  }

  /** The model's reconstructions after a generation, shown in interpretation mode. */
  setInterpretation(interpretation: Interpretation | null): void {
    this.#interpretation = interpretation;
  }

  /** The grid's 16 colours now. */
  colors(playheadStep: number | null = null): Rgb[] {
    const now = this.#clock.now();
    const window = this.recorder.window;
    return gridColors(this.#state, this.#ui, {
      playheadStep,
      take: window ? { window, now, partial: this.recorder.partial } : null,
      interpretation: this.#interpretation,
    });
  }

  #onTake(take: Take): void {
    // An empty take is a non-event: the performer keeps the groove they had.
    if (!take.groove) return;
    this.#set(setGroove(this.#state, take.groove), `groove recorded: ${take.taps} tap(s) at ${take.window.bpm} BPM`);
  }

  #setUi(ui: EditorUi): void {
    if (ui === this.#ui) return;
    this.#ui = ui;
    this.#views.emit(ui);
  }

  #set(state: GestureState, action: string): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#changes.emit(state, action);
  }
}
