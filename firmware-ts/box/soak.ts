import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { GenerationEngine } from '../engine/engine.js';
import { normalThreadPriority } from '../engine/thread-priority.js';
import { openAudioContext } from '../outputs/audio/context.js';
import { FakeMidiPort } from '../outputs/midi/fake-midi-port.js';
import { NOTE_MAP_PRESETS } from '../outputs/midi/note-map.js';
import { raiseTimingPriority } from '../outputs/midi/priority.js';
import { SystemClock } from '../time/clock.js';
import { GrooveBox } from './box.js';
import { MemoryLogs } from './log.js';
import { SlotStore } from './slots.js';

export interface SoakOptions {
  minutes: number;
  modelsDir: string;
  model?: 'ag11' | 'ag2' | 'baseline';
  bpm?: number;
  /** Play the audio kit too (default true); false isolates the model and MIDI path. */
  audio?: boolean;
  /** Progress lines (one a minute). */
  log?: (message: string) => void;
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
  /** Longest the main (timing) thread was late to wake, after warm-up (event-loop delay). */
  maxStallMs: number;
  p99StallMs: number;
  midiTiming: { first: TimingWindow; last: TimingWindow };
  sends: number;
  realtime: number | null;
}

interface TimingWindow { p50_ms: number; p99_ms: number; events: number }

/**
 * The whole box in simulation (no panel hardware, a fake MIDI port that stamps
 * every send, audio on a silent sink when there is no sound card), playing and
 * asking for a new loop every bar, for `minutes`. Reports what a long gig
 * would reveal: memory growth, tensor leaks, stalls of the timing thread and
 * whether MIDI timing at the end is what it was at the start.
 */
export async function soak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => {});
  const bpm = options.bpm ?? 120;
  const clock = new SystemClock();
  const port = new FakeMidiPort('soak (performance.now)');
  const sends: { due: number; at: number }[] = [];
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-soak-'));
  const logs = new MemoryLogs();
  const audio = options.audio === false ? null : await openAudioContext(() => {});
  let lastTensors = 0;
  let generations = 0;
  const box = new GrooveBox({
    clock,
    devices: { grid: null, tapPad: null, buttons: null, tempo: null },
    midi: {
      open: async () => port, noteMap: NOTE_MAP_PRESETS.gm, sendClock: true, noteLength: 0.05, precise: true,
      onSend: (_bytes, due, at) => { sends.push({ due, at }); },
    },
    audio: audio ? { context: audio.context, audible: audio.audible, gain: 0.5 } : null,
    engineFactory: (config) => {
      const engine = new GenerationEngine(config);
      const generate = engine.generate.bind(engine);
      engine.generate = async (gestures, opts) => {
        const result = await generate(gestures, opts);
        lastTensors = result.tensors;
        generations++;
        return result;
      };
      return engine;
    },
    slots: await SlotStore.open(stateDir, logs.factory('slots')),
    settings: { model: options.model ?? 'ag11', temperature: 1, switchAt: 'loop', stepVelocity: 0.8, autoplay: false, bpm, backend: null, modelsDir: options.modelsDir },
    logs: logs.factory,
  });
  const report = await box.boot();
  if (!report.modelLoaded) throw new Error(`soak: the model did not load (${report.modelError})`);
  // After the worker started: only the main thread gets real-time priority (see priority.ts).
  const priority = raiseTimingPriority({}, () => {});
  box.play();

  const barSeconds = (60 / bpm) * 4;
  const warmUp = Math.min(60, options.minutes * 60 * 0.2);
  const start = clock.now();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const rss: { t: number; mb: number; tensors: number }[] = [];
  let delayArmed = false;
  let nextMinute = 60;
  await new Promise<void>((resolve) => {
    const generateTimer = setInterval(() => void box.generate().catch(() => {}), barSeconds * 1000);
    const sampleTimer = setInterval(() => {
      const t = clock.now() - start;
      rss.push({ t, mb: process.memoryUsage().rss / 2 ** 20, tensors: lastTensors });
      if (!delayArmed && t >= warmUp) {
        delay.enable();
        delayArmed = true;
      }
      if (t >= nextMinute) {
        log(`soak: ${(t / 60).toFixed(0)} min, ${generations} generations, RSS ${rss[rss.length - 1].mb.toFixed(1)} MB, tensors ${lastTensors}`);
        nextMinute += 60;
      }
      if (t >= options.minutes * 60) {
        clearInterval(generateTimer);
        clearInterval(sampleTimer);
        resolve();
      }
    }, 2000);
  });
  delay.disable();
  normalThreadPriority(); // the caller (a test run, the bench) goes on at normal priority
  await box.shutdown();
  await audio?.context.close();
  fs.rmSync(stateDir, { recursive: true, force: true });

  const afterWarmUp = rss.filter((s) => s.t >= warmUp);
  const head = median(afterWarmUp.slice(0, 5).map((s) => s.mb));
  const tail = median(afterWarmUp.slice(-5).map((s) => s.mb));
  const sendsAfter = sends.filter((s) => s.due - start >= warmUp);
  const window = Math.min(60, options.minutes * 60 * 0.25);
  const endAt = sends.length > 0 ? sends[sends.length - 1].due : start;
  return {
    minutes: options.minutes,
    audio: audio !== null,
    generations,
    rssGrowthMB: round(tail - head),
    rssStartMB: round(head),
    rssEndMB: round(tail),
    tensorGrowth: (afterWarmUp[afterWarmUp.length - 1]?.tensors ?? 0) - (afterWarmUp[0]?.tensors ?? 0),
    maxStallMs: round(delay.max / 1e6),
    p99StallMs: round(delay.percentile(99) / 1e6),
    midiTiming: {
      first: timing(sendsAfter.filter((s) => s.due - start < warmUp + window)),
      last: timing(sends.filter((s) => s.due > endAt - window)),
    },
    sends: sends.length,
    realtime: priority.realtime,
  };
}

function timing(items: { due: number; at: number }[]): TimingWindow {
  const errors = items.map((s) => Math.abs(s.at - s.due) * 1000).sort((a, b) => a - b);
  const q = (p: number) => errors[Math.min(errors.length - 1, Math.max(0, Math.ceil(p * errors.length) - 1))] ?? NaN;
  return { p50_ms: round(q(0.5), 4), p99_ms: round(q(0.99), 4), events: errors.length };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
