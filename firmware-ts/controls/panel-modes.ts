import type { ButtonEvent, Buttons, KeyEvent, StepGrid, TapHit, TapPad, Unsubscribe } from '../devices/interfaces.js';
import type { GestureCapture } from './capture.js';

export interface PanelModesOptions {
  capture: GestureCapture;
  /** Every key and button changes what the performer sees. */
  changed?: () => void;
  /** PLAY without SHIFT: start or stop the transport. */
  play?: () => void;
  /** GENERATE. */
  generate?: () => void;
  /** A key on the slot page: `save` when SHIFT is held (save into that slot), else load it. */
  slotKey?: (slot: number, save: boolean) => void;
}

/**
 * What the panel's keys and buttons mean right now: the one owner of SHIFT
 * and of the page the keys show (the editor, or the slot page that SHIFT+PLAY
 * opens). Edits go to the GestureCapture with SHIFT as held here; PLAY,
 * GENERATE and the slot keys go to whoever was given for them.
 */
export class PanelModes {
  readonly #options: PanelModesOptions;
  readonly #capture: GestureCapture;
  #shift = false;
  #slotPage = false;

  constructor(options: PanelModesOptions) {
    this.#options = options;
    this.#capture = options.capture;
  }

  /** SHIFT is held. */
  get shift(): boolean {
    return this.#shift;
  }

  /** The keys show the slots (SHIFT+PLAY), not the editor. */
  get slotPage(): boolean {
    return this.#slotPage;
  }

  /** Subscribes to whichever devices are present; returns one function that detaches from all. */
  attach(devices: { grid?: StepGrid | null; buttons?: Buttons | null; tapPad?: TapPad | null }): Unsubscribe {
    const offs = [
      devices.grid?.onKey((e) => this.handleKey(e)),
      devices.buttons?.onButton((e) => this.handleButton(e)),
      devices.tapPad?.onHit((h) => this.handleHit(h)),
    ];
    return () => offs.forEach((off) => off?.());
  }

  handleKey(event: KeyEvent): void {
    if (this.#slotPage) {
      if (!event.pressed) return;
      this.#slotPage = false;
      this.#options.changed?.();
      // SHIFT + key saves into that slot, the key alone loads it.
      this.#options.slotKey?.(event.key, this.#shift);
      return;
    }
    this.#capture.handleKey(event, this.#shift);
    this.#options.changed?.();
  }

  handleButton(event: ButtonEvent): void {
    if (event.button === 'shift') this.#shift = event.pressed;
    this.#capture.handleButton(event);
    this.#options.changed?.();
    if (!event.pressed) return;
    if (event.button === 'play') {
      if (this.#shift) this.#slotPage = !this.#slotPage;
      else this.#options.play?.();
    } else if (event.button === 'generate') {
      this.#options.generate?.();
    }
  }

  handleHit(hit: TapHit): void {
    this.#capture.handleHit(hit);
    this.#options.changed?.();
  }
}
