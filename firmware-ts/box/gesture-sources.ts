import type { PanelModes } from '../controls/panel-modes.js';
import type { TapPad } from '../devices/interfaces.js';
import type { ClockInputLink } from '../inputs/midi/clock-input-link.js';
import { NOTE_MAP_PRESETS } from '../outputs/midi/note-map.js';
import type { Seconds } from '../time/clock.js';
import { mergeTapPads } from './merged-devices.js';
import { BoxMicrophone } from './microphone.js';
import { NoteInput } from './note-input.js';
import type { GrooveBoxOptions } from './options.js';
import type { BoxParts } from './parts.js';

/**
 * The gestures that come from beyond the panel's own grid and pad: notes from
 * a MIDI input and taps from a microphone, each there only when configured.
 * Their strokes take the same way as the pad's (PanelModes -> GestureCapture);
 * this module owns opening, polling and closing them.
 */
export class GestureSources {
  /** MIDI notes as gestures; null when the box takes none. */
  readonly notes: NoteInput | null;
  /** The microphone's level and sensitivity (its taps go the tap pads' way); null when the box has none. */
  readonly microphone: BoxMicrophone | null;

  constructor(parts: BoxParts & { modes: PanelModes }, options: GrooveBoxOptions) {
    const { noteInput, microphone, logs } = options;
    const output = options.midi?.noteMap ?? NOTE_MAP_PRESETS.gm;
    this.notes = noteInput ? new NoteInput({ ...parts, log: logs('midi-in') }, noteInput, output) : null;
    this.microphone = microphone ? new BoxMicrophone({ ...parts, log: logs('microphone') }, microphone) : null;
  }

  /** Opens the microphone; the tap pads to listen to: the panel's pad and the microphone's, merged. */
  async openTapPads(pad: TapPad | null): Promise<TapPad | null> {
    await this.microphone?.start();
    return mergeTapPads(pad, this.microphone?.pad);
  }

  /** Opens the MIDI note input once the clock input (which it may share) is open. */
  async openNotes(clockLink: ClockInputLink | null): Promise<void> {
    await this.notes?.start(clockLink);
  }

  /** Each frame: the microphone's level for the meter. */
  poll(now: Seconds): void {
    this.microphone?.poll(now);
  }

  async close(): Promise<void> {
    await Promise.all([this.notes?.close(), this.microphone?.close()]);
  }
}
