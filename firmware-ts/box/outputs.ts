import type { Unsubscribe } from '../devices/interfaces.js';
import { AudioOut } from '../outputs/audio/audio-out.js';
import { NativeAudioMemory } from '../outputs/audio/native-memory.js';
import { MidiOut } from '../outputs/midi/midi-out.js';
import type { MidiSink } from '../outputs/midi/midi-sink.js';
import { MidiThread } from '../outputs/midi/timing-thread.js';
import type { SequencerEvent } from '../sequencer/events.js';
import type { Sequencer } from '../sequencer/sequencer.js';
import type { Clock, Seconds } from '../time/clock.js';
import type { Log as BoxLog, LogFactory } from '../support/log.js';
import { throttledReport } from '../support/listeners.js';
import type { BoxMidiOptions, GrooveBoxOptions } from './options.js';

/** How long boot waits for the audio kit to render before the box plays without it. */
const KIT_PATIENCE: Seconds = 5;

/** Where the loop is heard: MIDI out and the audio kit, as the options ask (either may be absent). */
export class SoundOutputs {
  readonly midi: MidiSink | null;
  readonly audio: AudioOut | null;
  /** Returns the audio engine's native memory (see native-memory.ts); null without audio. */
  readonly #audioMemory: NativeAudioMemory | null;
  readonly #options: Pick<GrooveBoxOptions, 'midi' | 'audio'>;
  readonly #clock: Clock;

  constructor(options: Pick<GrooveBoxOptions, 'midi' | 'audio'>, clock: Clock, logs: LogFactory) {
    this.#options = options;
    this.#clock = clock;
    const midiLog = logs('midi');
    this.midi = options.midi ? openMidi(options.midi, clock, (m) => midiLog.info(m)) : null;
    const audio = options.audio;
    this.audio = audio
      ? new AudioOut({ context: audio.context, clock, gain: audio.gain, log: (m) => logs('audio').warn(m) })
      : null;
    this.#audioMemory = audio ? new NativeAudioMemory(clock, (m) => logs('audio').info(m)) : null;
  }

  /** What the audio plays on, for the boot report. */
  get audioKind(): 'sound card' | 'silent sink' | 'off' {
    const audio = this.#options.audio;
    return !audio ? 'off' : audio.audible ? 'sound card' : 'silent sink';
  }

  /** The panel's view of the sound card: absent (null) or its mute. */
  get boxAudio(): { kind: 'sound card' | 'silent sink'; muted: boolean } | null {
    const kind = this.audioKind;
    return this.audio && kind !== 'off' ? { kind, muted: this.audio.muted } : null;
  }

  /** The audio engine's timed full collections so far (null without audio, or without --expose-gc). */
  get audioCollections(): { runs: number; longestMs: number } | null {
    const memory = this.#audioMemory;
    return memory && memory.runs > 0 ? { runs: memory.runs, longestMs: Math.round(memory.longestMs * 10) / 10 } : null;
  }

  /** Both outputs listen to the sequencer. */
  attach(sequencer: Sequencer): Unsubscribe[] {
    return [this.midi?.attach(sequencer), this.audio?.attach(sequencer)].filter(
      (off): off is Unsubscribe => off !== undefined,
    );
  }

  /**
   * Opens the MIDI port and waits for the kit to render (off this thread); a
   * render that hangs does not hold up the box (AudioOut drops notes until its
   * kit is there).
   */
  async open(): Promise<void> {
    await Promise.all([this.midi?.connect(), this.audio && kitReady(this.audio, this.#clock, KIT_PATIENCE)]);
  }

  /** Starts the audio engine's memory upkeep. */
  start(): void {
    this.#audioMemory?.start();
  }

  stopUpkeep(): void {
    this.#audioMemory?.stop();
  }

  /** Releases every note and closes the MIDI port. */
  close(): Promise<void> {
    return Promise.resolve(this.midi?.close());
  }
}

function openMidi(options: BoxMidiOptions, clock: Clock, log: (message: string) => void): MidiSink {
  const common = {
    noteMap: options.noteMap,
    sendClock: options.sendClock,
    noteLength: options.noteLength,
    retryInterval: options.retryInterval,
    log,
  };
  if ('thread' in options) return new MidiThread({ ...common, port: options.thread, realtime: options.realtime });
  return new MidiOut({ ...common, clock, open: options.open, precise: options.precise, onSend: options.onSend });
}

function kitReady(audio: AudioOut, clock: Clock, patience: Seconds): Promise<void> {
  return new Promise<void>((resolve) => {
    const cancel = clock.setTimeout(resolve, patience);
    void audio.ready.then(() => {
      cancel();
      resolve();
    });
  });
}

/** A broken output must not flood the journal: the first failure of a run and then every 1000th. */
export function listenerErrorLog(log: BoxLog): (error: unknown, event: SequencerEvent) => void {
  return throttledReport((count, error: unknown, event: SequencerEvent) =>
    log.warn(`an output threw on a ${event.type} event (${count} so far): ${(error as Error)?.message ?? error}`),
  );
}
