import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { BoxModel } from '../box/config.js';
import { GenerationEngine } from '../engine/engine.js';
import { BOX_DEFAULT_MODEL } from '../model/config.js';
import type { WorkerMemory } from '../engine/protocol.js';
import { openAudioContext } from '../outputs/audio/context.js';
import { NOTE_MAP_PRESETS } from '../outputs/midi/note-map.js';
import type { LatenessFigures } from '../outputs/midi/timing-protocol.js';
import { MidiThread } from '../outputs/midi/timing-thread.js';
import { SystemClock } from '../time/clock.js';
import { IdleThread } from './idle-thread.js';
import { hrNowMs } from '../time/thread-clock.js';
import { StallJury, type StallVerdict, type Witnessed } from './stall-witness.js';
import { stolenMs } from './steal.js';
import { normalThreadPriority, TIMING_THREAD_PRIORITY } from '../time/thread-priority.js';
import { GrooveBox } from '../box/box.js';
import { MemoryLogs } from '../support/log.js';
import { feedTimingThreadFirst } from '../box/run.js';
import { SlotStore } from '../box/slots.js';

export interface SoakOptions {
  minutes: number;
  modelsDir: string;
  model?: BoxModel;
  bpm?: number;
  /** Play the audio kit too (default true); false isolates the model and MIDI path. */
  audio?: boolean;
  /**
   * Tell the timing thread's stalls over 5 ms apart: its own GC pauses, or an
   * idle thread at the same priority held at the same moment (the machine).
   * Adds a 1 ms timer to the timing thread and a thread beside it. Default false.
   */
  witness?: boolean;
  /** Progress lines (one per window). */
  log?: (message: string) => void;
}

/** The soak's stalls by witness (see stall-witness.ts), with what the witnesses saw themselves. */
export interface SoakStallWitness extends StallVerdict {
  thresholdMs: number;
  /** Windows judged, and windows without the timing thread's witness (it had crashed). */
  windowsJudged: number;
  windowsUnjudged: number;
  /** Records beyond a window's capacity, not judged (0 on a sane run). */
  dropped: number;
  /** Times the idle thread was held over 2 ms, and its priority (null: it got none). */
  idleThreadGaps: number;
  idleThreadRealtime: number | null;
  /** GC pauses of 0.1 ms or more on the timing thread, and the longest. */
  gcPauses: number;
  longestGcPauseMs: number;
}

/** One measuring window (a minute, or a quarter of a short soak). */
export interface SoakWindow {
  /** Seconds since the start at the window's end. */
  t: number;
  rssMB: number;
  /**
   * Where the RSS is: each isolate's V8 heap, used and committed (V8 keeps pages
   * committed after a collection, so RSS moves with it), the main thread's
   * external (native) memory, and the generation worker's wasm memory. The
   * main thread's figures are read at the window's end, the generation
   * worker's after its last generation, the timing thread's with its figures;
   * null where that thread gave none (crashed, or no generation yet).
   */
  memory: {
    mainHeapMB: number;
    mainHeapCommittedMB: number;
    mainExternalMB: number;
    workerHeapMB: number | null;
    workerHeapCommittedMB: number | null;
    workerWasmMB: number | null;
    timingHeapMB: number | null;
    timingHeapCommittedMB: number | null;
  };
  /** AudioContext time minus sequencer time as the audio output follows it (null without audio): how the sound card drifts. */
  audioClockOffsetMs: number | null;
  tensors: number;
  generations: number;
  /** |sent - due| of the MIDI messages sent in the window, measured on the timing thread. */
  midi: LatenessFigures;
  /** How late the timing thread woke up (its event-loop delay). */
  timingStallMaxMs: number;
  timingStallP99Ms: number;
  /** The same for the main thread (sequencer, panel, audio graph): informative, it sends nothing itself. */
  mainStallMaxMs: number;
  /** CPU time the hypervisor took in the window (all CPUs; null off Linux): a VM's stalls hit every thread. */
  stolenMs: number | null;
}

export interface SoakResult {
  minutes: number;
  audio: boolean;
  generations: number;
  /** RSS at the end minus RSS right after warm-up (medians of nearby samples). */
  rssGrowthMB: number;
  rssStartMB: number;
  rssEndMB: number;
  /** Live tfjs tensors in the worker at the last generation minus after warm-up. */
  tensorGrowth: number;
  /** Longest the MIDI timing thread was late to wake, after warm-up. */
  maxStallMs: number;
  /** The worst window's p99 of that delay. */
  p99StallMs: number;
  /** Longest pause of the main thread after warm-up (does not move MIDI; audio is scheduled 100 ms ahead). */
  mainMaxStallMs: number;
  midiTiming: { first: LatenessFigures; last: LatenessFigures; maxMs: number };
  sends: number;
  realtime: number | null;
  /** Crashes of the MIDI timing thread (each restarted): 0 on a healthy run. */
  timingThreadRestarts: number;
  warmUpSeconds: number;
  /** process.hrtime (ms) when the soak started: the clock of the witnesses' times. */
  startedHrMs: number;
  /** Hypervisor steal over the measured windows (null off Linux). */
  stolenMs: number | null;
  /** How fast the AudioContext's clock ran against the sequencer's, from the first to the last window (null without audio). */
  audioClockDriftPpm: number | null;
  /** The main thread's full collections for the audio engine's memory (every 30 s): how many, the longest (null without). */
  audioCollections: { runs: number; longestMs: number } | null;
  /** With `witness`: who else saw the timing thread's stalls over 5 ms (null without). */
  stallWitness: SoakStallWitness | null;
  windows: SoakWindow[];
}

/**
 * The whole box in simulation (no panel hardware, MIDI to a silent fake port
 * on the real timing thread, audio on a silent sink when there is no sound
 * card), playing and asking for a new loop every bar, for `minutes`. Reports
 * what a long gig would reveal: memory growth, tensor leaks, stalls of the
 * timing thread and whether MIDI timing at the end is what it was at the start.
 * The instrument itself keeps nothing per message: the figures are
 * histograms on the timing thread, read and reset once per window.
 */
export async function soak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => {});
  const bpm = options.bpm ?? 120;
  const clock = new SystemClock();
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-soak-'));
  const logs = new MemoryLogs(200); // bounded: the soak must not measure its own log growing
  const audio = options.audio === false ? null : await openAudioContext(() => {});
  let lastTensors = 0;
  let lastWorkerMemory: WorkerMemory | null = null;
  let generations = 0;
  const box = new GrooveBox({
    clock,
    devices: { grid: null, tapPad: null, buttons: null, tempo: null },
    midi: { thread: { kind: 'fake', name: 'soak' }, noteMap: NOTE_MAP_PRESETS.gm, sendClock: true, noteLength: 0.05 },
    audio: audio ? { context: audio.context as unknown as BaseAudioContext, audible: audio.audible, gain: 0.5 } : null,
    engineFactory: (config) => {
      const engine = new GenerationEngine(config);
      const generate = engine.generate.bind(engine);
      engine.generate = async (gestures, opts) => {
        const result = await generate(gestures, opts);
        lastTensors = result.tensors;
        lastWorkerMemory = result.memory;
        generations++;
        return result;
      };
      return engine;
    },
    slots: await SlotStore.open(stateDir, logs.factory('slots')),
    settings: {
      model: options.model ?? BOX_DEFAULT_MODEL,
      temperature: 1,
      switchAt: 'loop',
      stepVelocity: 0.8,
      autoplay: false,
      bpm,
      backend: null,
      modelsDir: options.modelsDir,
    },
    logs: logs.factory,
  });
  const report = await box.boot();
  if (!report.modelLoaded) throw new Error(`soak: the model did not load (${report.modelError})`);
  const midi = box.midi as MidiThread;
  feedTimingThreadFirst(logs.factory);
  const witness = options.witness ? startWitnesses(midi, log) : null;
  box.play();

  const barSeconds = (60 / bpm) * 4;
  const total = options.minutes * 60;
  const warmUp = Math.min(60, total * 0.2);
  const windowSeconds = Math.min(60, total * 0.25);
  const start = clock.now();
  const startedHrMs = hrNowMs();
  const mainDelay = monitorEventLoopDelay({ resolution: 1 });
  // RSS every 2 s, kept as the growth figure needs it: the first five samples after the warm-up and
  // the latest five. A record of every sample (3,600 objects in two hours) grew the heap it measures.
  const rssHead: number[] = [];
  const rssTail = new Float64Array(5);
  let rssAfterWarmUp = 0;
  let rssLatest = NaN;
  const windows: SoakWindow[] = [];
  let warm = false;
  let windowEnd = warmUp + windowSeconds;
  let tensorsAtWarmUp = 0;
  let stealAtWindowStart = stolenMs();

  let realtime: number | null;
  let witnessed: SoakStallWitness | null;
  let audioCollections: SoakResult['audioCollections'];
  // A failed soak still stops what it started, or the process would not exit.
  try {
    await new Promise<void>((resolve, reject) => {
      const generateTimer = setInterval(() => void box.generate().catch(() => {}), barSeconds * 1000);
      const sample = async () => {
        const t = clock.now() - start;
        rssLatest = process.memoryUsage().rss / 2 ** 20;
        if (t >= warmUp) {
          if (rssHead.length < 5) rssHead.push(rssLatest);
          rssTail[rssAfterWarmUp++ % rssTail.length] = rssLatest;
        }
        if (!warm && t >= warmUp) {
          warm = true;
          tensorsAtWarmUp = lastTensors;
          await midi.figures(true).catch(() => null); // the warm-up window is not counted
          await witness?.startCounting();
          mainDelay.enable();
          stealAtWindowStart = stolenMs();
        } else if (warm && (t >= windowEnd || t >= total)) {
          // A crashed timing thread (counted in timingThreadRestarts) has no figures for this window.
          const figures = await midi.figures(true).catch((error: Error) => {
            log(`soak: no timing figures for this window (${error.message})`);
            return {
              lateness: NO_FIGURES,
              stalls: { max_ms: NaN, p99_ms: NaN },
              heapMB: null,
              heapCommittedMB: null,
              witness: null,
            };
          });
          await witness?.window(figures.witness);
          const steal = stolenMs();
          const main = process.memoryUsage();
          const window: SoakWindow = {
            t: Math.round(t),
            rssMB: round(rssLatest),
            memory: {
              mainHeapMB: round(main.heapUsed / 2 ** 20),
              mainHeapCommittedMB: round(main.heapTotal / 2 ** 20),
              mainExternalMB: round(main.external / 2 ** 20),
              workerHeapMB: lastWorkerMemory ? round(lastWorkerMemory.heapMB) : null,
              workerHeapCommittedMB: lastWorkerMemory ? round(lastWorkerMemory.heapCommittedMB) : null,
              workerWasmMB: lastWorkerMemory?.wasmMB == null ? null : round(lastWorkerMemory.wasmMB),
              timingHeapMB: figures.heapMB === null ? null : round(figures.heapMB),
              timingHeapCommittedMB: figures.heapCommittedMB === null ? null : round(figures.heapCommittedMB),
            },
            audioClockOffsetMs: box.audio ? round(box.audio.clockOffset * 1000) : null,
            tensors: lastTensors,
            generations,
            midi: figures.lateness,
            timingStallMaxMs: figures.stalls.max_ms,
            timingStallP99Ms: figures.stalls.p99_ms,
            mainStallMaxMs: round(mainDelay.max / 1e6),
            stolenMs: steal === null || stealAtWindowStart === null ? null : steal - stealAtWindowStart,
          };
          stealAtWindowStart = steal;
          windows.push(window);
          mainDelay.reset();
          log(
            `soak: ${(t / 60).toFixed(1)} min, ${generations} generations, RSS ${window.rssMB} MB (V8 heap used/committed: main ${window.memory.mainHeapMB}/${window.memory.mainHeapCommittedMB}, generation worker ${window.memory.workerHeapMB}/${window.memory.workerHeapCommittedMB}; timing thread ${window.memory.timingHeapMB}/${window.memory.timingHeapCommittedMB}; main external ${window.memory.mainExternalMB}, wasm ${window.memory.workerWasmMB}), tensors ${lastTensors}, ` +
              `MIDI p99 ${window.midi.p99_ms} ms max ${window.midi.max_ms} ms, timing-thread stall ${window.timingStallMaxMs} ms, main-thread stall ${window.mainStallMaxMs} ms, steal ${window.stolenMs} ms`,
          );
          windowEnd += windowSeconds;
        }
        if (t >= total) {
          clearInterval(generateTimer);
          clearInterval(sampleTimer);
          resolve();
        }
      };
      let sampling = false;
      const sampleTimer = setInterval(() => {
        if (sampling) return;
        sampling = true;
        sample()
          .catch((error) => {
            clearInterval(generateTimer);
            clearInterval(sampleTimer);
            reject(error);
          })
          .finally(() => (sampling = false));
      }, 2000);
    });
    witnessed = witness?.finish() ?? null;
  } finally {
    mainDelay.disable();
    await witness?.idle.stop();
    normalThreadPriority(); // the caller (a test run, the bench) goes on at normal priority
    realtime = midi.realtime;
    audioCollections = box.audioCollections;
    await box.shutdown();
    await (audio?.context as unknown as { close(): Promise<void> } | undefined)?.close();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }

  const head = median(rssHead);
  const tail = median([...rssTail.subarray(0, Math.min(rssAfterWarmUp, rssTail.length))]);
  return {
    minutes: options.minutes,
    audio: audio !== null,
    generations,
    rssGrowthMB: round(tail - head),
    rssStartMB: round(head),
    rssEndMB: round(tail),
    tensorGrowth: (windows[windows.length - 1]?.tensors ?? tensorsAtWarmUp) - tensorsAtWarmUp,
    maxStallMs: Math.max(0, ...windows.map((w) => w.timingStallMaxMs)),
    p99StallMs: Math.max(0, ...windows.map((w) => w.timingStallP99Ms)),
    mainMaxStallMs: Math.max(0, ...windows.map((w) => w.mainStallMaxMs)),
    midiTiming: {
      first: windows[0]?.midi ?? NO_FIGURES,
      last: windows[windows.length - 1]?.midi ?? NO_FIGURES,
      maxMs: Math.max(0, ...windows.map((w) => w.midi.max_ms)),
    },
    sends: windows.reduce((n, w) => n + w.midi.events, 0),
    realtime,
    timingThreadRestarts: midi.restarts,
    warmUpSeconds: warmUp,
    startedHrMs,
    stolenMs: windows.some((w) => w.stolenMs === null) ? null : windows.reduce((n, w) => n + (w.stolenMs ?? 0), 0),
    audioClockDriftPpm: driftPpm(windows),
    audioCollections,
    stallWitness: witnessed,
    windows,
  };
}

const WITNESS_STALL_MS = 5;

/** The idle thread beside the timing thread, and the jury that judges each window's stalls. */
function startWitnesses(midi: MidiThread, log: (message: string) => void) {
  midi.witness(WITNESS_STALL_MS);
  const idle = IdleThread.start({ realtime: TIMING_THREAD_PRIORITY, thresholdMs: 2, log });
  const jury = new StallJury();
  let judged = 0;
  let unjudged = 0;
  let idleGaps = 0;
  let gcPauses = 0;
  let longestGcPauseMs = 0;
  return {
    idle,
    /** At the end of the warm-up: what came before is thrown away. */
    async startCounting(): Promise<void> {
      await idle.take();
    },
    async window(timing: Witnessed | null): Promise<void> {
      const idleWitnessed = await idle.take();
      idleGaps += idleWitnessed.gaps.length;
      if (!timing) {
        unjudged++;
        return;
      }
      judged++;
      jury.add(timing, idleWitnessed);
      gcPauses += timing.gcPauses.length;
      for (const pause of timing.gcPauses)
        longestGcPauseMs = Math.max(longestGcPauseMs, round(pause.to - pause.from, 3));
    },
    finish(): SoakStallWitness {
      return {
        thresholdMs: WITNESS_STALL_MS,
        ...jury.finish(),
        windowsJudged: judged,
        windowsUnjudged: unjudged,
        idleThreadGaps: idleGaps,
        idleThreadRealtime: idle.realtime,
        gcPauses,
        longestGcPauseMs,
      };
    },
  };
}

/** A window (or a run) without timing figures: none were sent, or the timing thread had crashed. */
const NO_FIGURES: LatenessFigures = { p50_ms: NaN, p90_ms: NaN, p99_ms: NaN, mean_ms: NaN, max_ms: NaN, events: 0 };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
}

function driftPpm(windows: SoakWindow[]): number | null {
  const first = windows[0];
  const last = windows[windows.length - 1];
  if (!first || first === last || first.audioClockOffsetMs === null || last.audioClockOffsetMs === null) return null;
  return round(((last.audioClockOffsetMs - first.audioClockOffsetMs) / 1000 / (last.t - first.t)) * 1e6, 1);
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
