import type { AudioOut } from '../outputs/audio/audio-out.js';
import type { GestureCapture } from '../controls/capture.js';
import type { PanelCommand } from '../panel/protocol.js';
import type { BoxMicrophone } from './microphone.js';
import type { NoteInput } from './note-input.js';

/** The parts of the box the panel's extra controls reach. */
export interface PanelCommandTarget {
  readonly capture: GestureCapture;
  readonly audio: AudioOut | null;
  readonly notes: NoteInput | null;
  readonly microphone: BoxMicrophone | null;
  setTempo(bpm: number): void;
  selectModel(name: string): Promise<void>;
  saveSlot(slot: number): Promise<void>;
  loadSlot(slot: number): Promise<boolean>;
}

/**
 * Runs one of the panel's extra controls on the part of the box that owns it.
 * A refusal is thrown as one line, for the page that sent the command.
 */
export async function runPanelCommand(box: PanelCommandTarget, command: PanelCommand): Promise<void> {
  switch (command.command) {
    case 'tempo':
      return box.setTempo(command.bpm);
    case 'model':
      return box.selectModel(command.name);
    case 'save':
      return box.saveSlot(command.slot);
    case 'load':
      await box.loadSlot(command.slot);
      return;
    case 'mute':
      if (box.audio) box.audio.muted = command.muted;
      return;
    case 'midi-learn':
      return noteInputOf(box).learn(command.drum);
    case 'take-drum':
      if (!box.capture.setTakeGiven(command.drum, command.given))
        throw new Error('no take played on drum notes to choose from yet');
      return;
    case 'midi-input':
      return noteInputOf(box).select(command.port);
    case 'microphone':
      if (!box.microphone) throw new Error('this box has no microphone (set microphone.device in the config)');
      return box.microphone.setSensitivity(command.sensitivity);
  }
}

function noteInputOf(box: PanelCommandTarget): NoteInput {
  if (!box.notes) throw new Error('this box takes no MIDI notes');
  return box.notes;
}
