import path from 'node:path';
import { discoverDevices, type FoundDevices } from '../devices/discovery.js';
import { MicrophoneTapPad } from '../devices/microphone/microphone-tap-pad.js';
import { ReopeningMicrophone } from '../devices/microphone/reopening-microphone.js';
import { GenerationEngine } from '../engine/engine.js';
import { openAudioContext } from '../outputs/audio/context.js';
import { listSystemMidiInputs, systemMidiInput, type MidiInput } from '../inputs/midi/midi-input.js';
import { PanelServer } from '../panel/server.js';
import { MODELS_DIR } from '../paths.js';
import { SystemClock, type Clock } from '../time/clock.js';
import { raiseThreadPriority } from '../time/thread-priority.js';
import { GrooveBox, type BootReport } from './box.js';
import type { LoadedConfig } from './config.js';
import type { LogFactory } from '../support/log.js';
import { mergeButtons, mergeGrids, mergeTapPads, mergeTempo } from './merged-devices.js';
import { SlotStore } from './slots.js';
import type { NoteInputOptions } from './note-input.js';

export interface RunningBox {
  box: GrooveBox;
  report: BootReport;
  /** The virtual front panel's address, or null when the panel is off. */
  url: string | null;
  /** Milliseconds from process start to playable. */
  readyMs: number;
  /** Silence, save, release everything (the box first: it must go quiet before anything else). */
  close(): Promise<void>;
}

/**
 * The daemon as it runs on the Pi or a laptop: the system clock, the
 * hardware that is there (the panel's virtual devices for the rest, or for
 * all with `devices: simulate`), easymidi, Web Audio, the generation worker.
 * Resolves once the model is loaded (or known missing), the outputs are open
 * and the panel is served.
 */
export async function runBox(config: LoadedConfig, logs: LogFactory): Promise<RunningBox> {
  const log = logs('box');
  const clock = new SystemClock();
  const slots = await SlotStore.open(config.stateDir, logs('slots'));

  const panel = config.panel.enabled
    ? new PanelServer({
        host: config.panel.host,
        port: config.panel.port,
        token: config.panel.token ?? undefined,
        clock,
        log: logs('panel'),
      })
    : null;
  let found: FoundDevices | null = null;
  // Opening the capture waits for its first samples: alongside the I2C scan, not after it.
  const microphoneOpening = openMicrophone(config.microphone, clock, logs);
  try {
    if (config.devices === 'auto') {
      found = await discoverDevices({ clock, log: logs('devices'), driverLogs: logs });
    } else if (!panel) {
      throw new Error('devices = "simulate" needs the virtual panel, but panel.enabled is false');
    } else {
      log.info('simulated devices: the virtual front panel is the box');
    }
  } catch (err) {
    // No box after all: its arecord must not outlive it.
    void microphoneOpening.then((microphone) => microphone?.close()).catch(() => {});
    throw err;
  }
  const microphone = await microphoneOpening;
  const virtual = panel?.devices;
  const devices = {
    grid: mergeGrids(found?.stepGrid, virtual?.grid),
    tapPad: mergeTapPads(found?.tapPad, virtual?.tapPad),
    buttons: mergeButtons(found?.buttons, virtual?.buttons),
    tempo: mergeTempo(found?.tempo, virtual?.tempo),
  };

  let audio: { context: BaseAudioContext; audible: boolean; gain: number } | null = null;
  if (config.audio.enabled) {
    try {
      const opened = await openAudioContext((m) => logs('audio').warn(m));
      audio = {
        context: opened.context as unknown as BaseAudioContext,
        audible: opened.audible,
        gain: config.audio.gain,
      };
    } catch (err) {
      logs('audio').warn(`no audio at all (${(err as Error).message.split('\n')[0]}); MIDI only`);
    }
  }

  const box = new GrooveBox({
    clock,
    devices,
    midi: config.midi.enabled
      ? {
          thread: { kind: 'easymidi', port: config.midi.port },
          noteMap: config.noteMapResolved,
          sendClock: config.midi.clock,
          noteLength: config.midi.noteLength,
        }
      : null,
    // Independent of midi.enabled (MIDI out): a box playing audio only may still follow a master.
    clockInput:
      config.midi.follow !== null ? { name: config.midi.follow, ...systemMidiInput(config.midi.follow, clock) } : null,
    noteInput: noteInputOptions(config, clock, panel?.devices.midiIn ?? null),
    microphone: microphone ? { pad: microphone, keepFile: path.join(config.stateDir, 'microphone.json') } : null,
    audio,
    engineFactory: (workerConfig) => new GenerationEngine(workerConfig),
    slots,
    settings: {
      model: config.model,
      temperature: config.temperature,
      switchAt: config.switchAt,
      stepVelocity: config.stepVelocity,
      autoplay: config.autoplay,
      bpm: config.bpm,
      backend: config.backend,
      modelsDir: path.resolve(config.modelsDir ?? MODELS_DIR),
      modelPinned: config.modelPinned,
    },
    logs,
    panel,
  });
  panel?.onCommand((command) => box.command(command));
  panel?.setExportProvider(() => box.midiFile());

  let report: BootReport;
  let url: string | null;
  try {
    report = await box.boot();
    // Served after the model is loaded: whoever waits for the URL finds a playable box.
    url = panel ? await panel.start() : null;
  } catch (err) {
    await box.shutdown().catch(() => {});
    await panel?.close().catch(() => {});
    await found?.close().catch(() => {});
    await microphone?.close().catch(() => {});
    await closeAudio(audio);
    throw err;
  }
  feedTimingThreadFirst(logs);
  const readyMs = performance.now();
  const outputs = [
    report.midi ? `MIDI "${report.midi}"` : config.midi.enabled ? 'MIDI unavailable (audio plays)' : 'MIDI off',
    report.audio === 'off' ? 'audio off' : `audio on the ${report.audio}`,
  ].join(', ');
  const model = report.modelLoaded
    ? `model ${report.model} loaded`
    : `no model (${report.model}): plain step sequencer`;
  log.info(`ready in ${Math.round(readyMs)} ms (${model}, outputs open: ${outputs})${url ? `; panel at ${url}` : ''}`);

  return {
    box,
    report,
    url,
    readyMs,
    async close() {
      await box.shutdown();
      await Promise.allSettled([panel?.close(), found?.close(), microphone?.close(), closeAudio(audio)]);
    },
  };
}

/**
 * The configured microphone; null when none is configured. One that is not
 * there is one line, and it is looked for every 2 s (as are the MIDI inputs),
 * the box playing on with its other tap pads meanwhile. Its blocks are
 * stamped on the box's clock at capture and the detector takes
 * microphone.latencyMs off every tap, so its strokes are timed as the
 * piezo's are.
 */
export async function openMicrophone(
  settings: LoadedConfig['microphone'],
  clock: Clock,
  logs: LogFactory,
): Promise<ReopeningMicrophone | null> {
  const { device, sensitivity, latencyMs } = settings;
  if (device === null) return null;
  const log = logs('microphone');
  const onset = { sensitivity, inputLatency: latencyMs / 1000 };
  const microphone = new ReopeningMicrophone({
    name: device,
    clock,
    log,
    sensitivity,
    open: () => MicrophoneTapPad.open({ device, clock, onset, log }),
  });
  await microphone.start();
  if (microphone.open)
    log.info(`taps from the microphone ${device} (sensitivity ${sensitivity}, latency ${latencyMs} ms taken off)`);
  return microphone;
}

/** MIDI notes as gestures from the config: from the clock input itself when it names the same input (one serves both). */
function noteInputOptions(config: LoadedConfig, clock: SystemClock, webMidi: MidiInput | null): NoteInputOptions {
  const { port, channel, accent, accentNote, drums } = config.midi.input;
  return {
    port:
      port === null ? null : port === config.midi.follow ? 'clock' : { name: port, ...systemMidiInput(port, clock) },
    channel,
    accent,
    accentNote,
    bindings: drums,
    learnFile: path.join(config.stateDir, 'midi-learn.json'),
    // The panel's Web MIDI is one more source, always listened to: a browser that offers none sends nothing.
    sources: webMidi ? [webMidi] : [],
    system: { input: (name) => systemMidiInput(name, clock), list: () => listSystemMidiInputs() },
  };
}

/**
 * The main thread hands the MIDI timing thread its events 100 ms ahead; if it
 * is starved for longer (other processes busy on every core can do that) notes
 * leave late. A modest nice value keeps other processes from
 * starving it, without real-time priority that would let its own bursts (the
 * audio graph, the panel) starve the audio render thread. Called after the
 * generation worker started (it resets itself to nice 0 anyway).
 */
export function feedTimingThreadFirst(logs: LogFactory): void {
  raiseThreadPriority({ nice: -5, realtime: false }, (m) => logs('box').warn(m));
}

/** Closing a context can wait on the audio thread; the exit deadline must not. */
async function closeAudio(audio: { context: BaseAudioContext } | null): Promise<void> {
  const context = audio?.context as unknown as { close?: () => Promise<void> } | undefined;
  if (!context?.close) return;
  await Promise.race([context.close().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 200).unref())]);
}
