/** A note-on or note-off, as the box reads it. Channel 1..16 as printed on devices; velocity 0..127. */
export interface NoteMessage {
  on: boolean;
  channel: number;
  note: number;
  velocity: number;
}

/**
 * Reads a note message; null for anything else (clock, controllers, sysex
 * fragments, a message cut short). A note-on of velocity 0 is a note-off, as
 * the MIDI specification has it (running status keyboards send them).
 */
export function readNote(bytes: readonly number[]): NoteMessage | null {
  if (bytes.length < 3) return null;
  const kind = bytes[0] & 0xf0;
  if (kind !== 0x90 && kind !== 0x80) return null;
  const [note, velocity] = [bytes[1], bytes[2]];
  if (!(note >= 0 && note < 128 && velocity >= 0 && velocity < 128)) return null;
  return { on: kind === 0x90 && velocity > 0, channel: (bytes[0] & 0x0f) + 1, note, velocity };
}
