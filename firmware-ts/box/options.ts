import type { Buttons, StepGrid, TapPad, TempoControl } from '../devices/interfaces.js';
import type { GenerationEngine } from '../engine/engine.js';
import type { WorkerConfig } from '../engine/protocol.js';
import type { MidiInputOpener } from '../inputs/midi/midi-input.js';
import type { MidiPortOpener } from '../outputs/midi/midi-port.js';
import type { MidiPortSpec } from '../outputs/midi/timing-protocol.js';
import type { NoteMap } from '../outputs/midi/note-map.js';
import type { Clock, Seconds } from '../time/clock.js';
import type { BoxConfig, BoxModel } from './config.js';
import type { MicrophoneOptions } from './microphone.js';
import type { NoteInputOptions } from './note-input.js';
import type { LogFactory } from '../support/log.js';
import type { SlotStore } from './slots.js';
import type { PanelView } from './snapshot.js';

/** The panel's hardware, whichever implementation: real drivers, the virtual panel's, or fakes. Null = not there. */
export interface BoxDevices {
  grid: StepGrid | null;
  tapPad: TapPad | null;
  buttons: Buttons | null;
  tempo: TempoControl | null;
}

/** The settings the box plays by (a subset of the config file). */
export type BoxSettings = Pick<
  BoxConfig,
  'model' | 'temperature' | 'switchAt' | 'stepVelocity' | 'autoplay' | 'bpm' | 'backend'
> & {
  /** Folder with one sub-folder per model (ag11, ag2, baseline). */
  modelsDir: string;
  /** The model was asked for explicitly (--model): it wins over the one the saved working state played. */
  modelPinned?: boolean;
};

interface MidiCommon {
  noteMap: NoteMap;
  sendClock: boolean;
  noteLength: Seconds;
  retryInterval?: Seconds;
}

/**
 * The MIDI output. With `thread`, a MidiThread: its own real-time thread
 * opens the described port (the box on stage). With `open`, a MidiOut on this
 * thread (tests with fake ports, OfflineClock). Either owns its retries.
 */
export type BoxMidiOptions = MidiCommon &
  (
    | { thread: MidiPortSpec; realtime?: number | false }
    | {
        open: MidiPortOpener;
        /** Real-time precision of the send loop; must be false with an OfflineClock. */
        precise: boolean;
        /** Sees every message as it leaves, with its due time. */
        onSend?: (bytes: readonly number[], due: Seconds, sentAt: Seconds) => void;
      }
  );

export interface GrooveBoxOptions {
  clock: Clock;
  devices: BoxDevices;
  /** The MIDI output (null: no MIDI at all). */
  midi: BoxMidiOptions | null;
  /** A master's MIDI clock to follow (tempo, start/stop/continue); null or absent: the box keeps its own. */
  clockInput?: { name: string; open: MidiInputOpener; dispose?(): void } | null;
  /** MIDI notes as gestures (taps, a score on drum notes, the accent); null or absent: none. */
  noteInput?: NoteInputOptions | null;
  /** A microphone as one more tap pad, with its level and sensitivity on the panel; null or absent: none. */
  microphone?: MicrophoneOptions | null;
  /** An audio context to play the kit on (null: no audio). `audible` false = a silent sink. */
  audio: { context: BaseAudioContext; audible: boolean; gain: number } | null;
  /** Makes a generation engine for one model folder; the box starts, restarts and stops it. */
  engineFactory: (config: WorkerConfig) => GenerationEngine;
  slots: SlotStore;
  settings: BoxSettings;
  logs: LogFactory;
  panel?: PanelView | null;
  /** LED and panel refresh interval. */
  refreshInterval?: Seconds;
  /** Source of seeds for GENERATE (tests pass a fixed one). */
  random?: () => number;
  /** Seconds of quiet after a change before the working state is written (coalesces bursts of edits). */
  saveDelay?: Seconds;
}

export interface BootReport {
  /** Model loaded and playing from it; false: the plain step sequencer. */
  modelLoaded: boolean;
  model: BoxModel;
  modelError: string | null;
  midi: string | null;
  audio: 'sound card' | 'silent sink' | 'off';
}
