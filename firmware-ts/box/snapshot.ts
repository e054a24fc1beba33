import type { PanelCommand, PanelSnapshot } from '../panel/protocol.js';

/**
 * The contract between the box and whatever shows it (the virtual front
 * panel). The box pushes a complete PanelSnapshot (see panel/protocol.ts,
 * built by panel/presenter.ts) whenever something visible changed, at most at
 * the LED refresh rate; the view must not block (serialise and send, or drop
 * if a page is slow).
 */
export type { PanelView } from '../panel/presenter.js';

/** What the panel may ask of the box beyond the device events: its extra controls and the MIDI download. */
export interface BoxControl {
  command(command: PanelCommand): Promise<void>;
  /** The loop playing now as a Standard MIDI File, for a download. */
  midiFile(): { filename: string; bytes: Uint8Array };
}

export type { PanelSnapshot };
