import type { ButtonEvent, KeyEvent, Rgb, TapHit } from '../devices/interfaces.js';
import { Listeners, type Unsubscribe } from '../support/listeners.js';
import type { Clock, Seconds } from '../time/clock.js';
import { DRUM_COUNT } from '../pattern/drums.js';
import { accent as accentOf, accentFromGroove } from '../pattern/gestures.js';
import { STEPS } from '../pattern/pattern.js';
import { flipPage, initialUi, nextMode, pressKey, type EditorMode, type EditorUi } from './editor.js';
import { gridColors, type Interpretation } from './led-view.js';
import { emptyGestureState, setGroove, setTakeRows, type GestureState } from './state.js';
import { TapRecorder, type Stroke, type Take, type TakeWindow } from './tap-recorder.js';

/**
 * The drums a take played, and which of them count as given: the performer
 * chooses per take (after it, on the panel). A drum given takes the take's
 * row (all zeros when it did not play: "no <drum>"); one not given keeps the
 * score it had before the take.
 */
export interface TakeDrums {
  /** Drums with at least one note in the take (DRUM_COUNT entries). */
  played: boolean[];
  /** Drums whose row the take gave (DRUM_COUNT entries). */
  given: boolean[];
}

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
  /** The editor mode when the take was armed: a take armed in score mode records the drums notes name. */
  #takeMode: EditorMode = 'score';
  /** The last take that played drums: its rows and the scores before it, for the per-take choice of given drums. */
  #lastTake: { rows: number[][]; before: (number[] | null)[]; drums: TakeDrums } | null = null;

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

  /** A stroke of the pad, the microphone or a MIDI note (which may name a drum, or be the accent note). */
  handleHit(hit: TapHit | Stroke): void {
    this.recorder.hit(hit);
  }

  /** REC: arms a take; pressed again during a take, cancels it (the groove stays). */
  rec(): TakeWindow | null {
    // Just after the last bar the take is complete: keep it, and REC starts the next one.
    if (this.recorder.finishIfOver()) return this.#arm();
    if (this.recorder.phase() !== 'idle') {
      this.recorder.cancel();
      return null;
    }
    return this.#arm();
  }

  /** The drums of the last take that played drums, and which count as given; null before one. */
  get takeDrums(): TakeDrums | null {
    const take = this.#lastTake;
    return take ? { played: take.drums.played.slice(), given: take.drums.given.slice() } : null;
  }

  /**
   * The per-take choice: `drum` counts as given (its row from the take) or
   * not (its score from before the take). Returns false when there is no take
   * with drums to choose from.
   */
  setTakeGiven(drum: number, given: boolean): boolean {
    const take = this.#lastTake;
    if (!take || !Number.isInteger(drum) || drum < 0 || drum >= DRUM_COUNT) return false;
    if (take.drums.given[drum] === given) return true;
    take.drums.given[drum] = given;
    const row = given ? take.rows[drum] : take.before[drum];
    this.#set(
      setTakeRows(this.#state, new Map([[drum, row]])),
      `drum ${drum} ${given ? 'given from the take' : 'back to its score before the take'}`,
    );
    return true;
  }

  #arm(): TakeWindow {
    this.#takeMode = this.#ui.mode;
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
    // The take's choice was about the state it was played into.
    this.#lastTake = null;
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
    if (!take.groove && !take.accentMarks) return;
    let state = take.groove ? setGroove(this.#state, take.groove) : this.#state;
    const said = [take.groove ? `groove recorded: ${take.taps} tap(s) at ${take.window.bpm} BPM` : 'accent recorded'];
    const rows = new Map<number, number[] | null>();
    if (take.drums && this.#takeMode === 'score') {
      const rowsOf: number[][] = [];
      const played: boolean[] = [];
      for (let drum = 0; drum < DRUM_COUNT; drum++) {
        const row = Array.from({ length: STEPS }, (_, step) => (take.drums!.hit(step, drum) ? 1 : 0));
        rowsOf.push(row);
        played.push(row.some((v) => v > 0));
        if (played[drum]) rows.set(drum, row);
      }
      this.#lastTake = { rows: rowsOf, before: state.scores.slice(), drums: { played, given: played.slice() } };
      said.push(`score of ${played.filter(Boolean).length} drum(s) played`);
    }
    // The accent: the dedicated note's marks; else, when the strokes asked for it, the paper's rule over the take.
    let accent: { accent: number[] | null; source: 'grid' | 'taps' } | undefined;
    if (take.accentMarks) accent = { accent: Array.from(take.accentMarks), source: 'grid' };
    else if (take.velocityAccent && take.groove) {
      // Per drum where notes named drums (mean + one standard deviation of that drum in the take), else the one voice.
      const marks = take.drums ? accentOf(take.drums) : accentFromGroove(take.groove);
      accent = { accent: Array.from(marks), source: 'taps' };
    }
    if (accent) said.push(`accent on ${accent.accent!.filter((v) => v > 0.5).length} step(s)`);
    if (rows.size > 0 || accent) state = setTakeRows(state, rows, accent);
    this.#set(state, said.join('; '));
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
