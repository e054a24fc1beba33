import { createHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
import { SystemClock } from '../../time/clock.js';
import { hrMinusPerf } from '../../time/thread-clock.js';
import { witnessThisThread } from '../../diagnostics/stall-witness.js';
import { raiseThreadPriority } from '../../time/thread-priority.js';
import { openEasyMidiPort } from './easymidi-port.js';
import { SilentPort } from './fake-midi-port.js';
import { MidiOut } from './midi-out.js';
import { MidiPortError, type MidiPortOpener } from './midi-port.js';
import { alsaSequencerPresent } from './rtmidi-binding.js';
import type { FromTimingThread, MidiPortSpec, TimingThreadConfig, ToTimingThread } from './timing-protocol.js';

/**
 * What a worker entry may add to the timing thread: the product's entry
 * (timing-worker.ts) adds nothing; a test's entry crashes, hangs or pulls
 * the port here, so the product's protocol carries no test switch.
 */
export interface TimingThreadHooks {
  /** After each message left, with the count so far. */
  afterSend?(sends: number): void;
  /** The port to open instead of the one the spec names (null: the spec's own). */
  openPort?(spec: MidiPortSpec): MidiPortOpener | null;
}

/**
 * The MIDI timing thread (see timing-thread.ts): a MidiOut and nothing else,
 * at real-time priority. Its heap stays tiny, so its own garbage collection
 * is short, and the main thread's work (panel, audio graph, LEDs, garbage of
 * its own) cannot make a message late. Runs in the worker that calls it.
 */
export function runTimingThread(hooks: TimingThreadHooks = {}): void {
  const port = parentPort;
  if (!port) throw new Error('the MIDI timing thread must run in a worker thread');
  const config = workerData as TimingThreadConfig;
  const post = (message: FromTimingThread) => port.postMessage(message);

  const clock = new SystemClock();
  // mainPerf + mainHrMinusPerf = hrtime = workerPerf + workerHrMinusPerf
  const mainToWorker = config.mainHrMinusPerf - hrMinusPerf();

  // Started first: raising the priority forks `chrt`, which must not count as a stall.
  const priority = raiseThreadPriority({ realtime: config.realtime }, (m) => post({ type: 'log', message: m }));
  const lateness = createHistogram();
  let maxLatenessNs = 0;
  const stalls = monitorEventLoopDelay({ resolution: 1 });
  stalls.enable();

  // The main thread restarts a thread whose event loop stops beating (an endless loop would otherwise hold MIDI,
  // and at SCHED_FIFO a core, for good). One atomic add, no allocation.
  const heartbeat = new Int32Array(config.heartbeat);
  setInterval(() => Atomics.add(heartbeat, 0, 1), config.heartbeatEvery * 1000);

  const report = config.port.kind === 'fake' && config.port.report === true;
  let sends = 0;
  const out = new MidiOut({
    clock,
    open: hooks.openPort?.(config.port) ?? opener(config.port),
    noteMap: config.noteMap,
    sendClock: config.sendClock,
    noteLength: config.noteLength,
    retryInterval: config.retryInterval,
    precise: true,
    toPortTime: (t) => t + mainToWorker,
    log: (message) => {
      post({ type: 'log', message });
      reportState();
    },
    onSend: (bytes, due, sentAt) => {
      if (report) post({ type: 'sent', bytes: [...bytes], due: due - mainToWorker, at: sentAt - mainToWorker });
      hooks.afterSend?.(++sends);
      // Nanoseconds, at least 1: the histogram records positive integers.
      const ns = Math.max(1, Math.round(Math.abs(sentAt - due) * 1e9));
      lateness.record(ns);
      if (ns > maxLatenessNs) maxLatenessNs = ns;
    },
  });

  function reportState(): void {
    post({ type: 'state', connected: out.connected, portName: out.portName, realtime: priority.realtime });
  }

  function opener(spec: MidiPortSpec): MidiPortOpener {
    if (spec.kind === 'fake') return async () => new SilentPort(spec.name);
    let lastError: MidiPortError | null = null;
    return async () => {
      // Without an ALSA sequencer each RtMidi attempt prints lines from C: only ask again once /dev/snd/seq exists.
      if (lastError?.unavailable && !(await alsaSequencerPresent())) throw lastError;
      try {
        return await openEasyMidiPort({ port: spec.port ?? undefined });
      } catch (err) {
        if (err instanceof MidiPortError) lastError = err;
        throw err;
      }
    };
  }

  function ms(ns: number): number {
    return Math.round(ns / 1e3) / 1e3;
  }

  let witness: ReturnType<typeof witnessThisThread> | null = null;

  let connecting: Promise<void> = Promise.resolve();
  /** A restarted thread cannot know what was sounding: All Notes Off once its port is open. */
  let released = !config.releaseOnConnect;

  port.on('message', (message: ToTimingThread) => {
    switch (message.type) {
      case 'events':
        for (const event of message.events) out.handle(event);
        return;
      case 'connect':
        connecting = out.connect().then((ok) => {
          if (ok && !released) {
            out.releaseAll();
            released = true;
          }
          reportState();
          post({ type: 'connected', id: message.id, ok });
        });
        return;
      case 'close':
        // After a connect in flight: a restarted thread must get its All Notes Off out before it closes.
        void connecting.then(() => {
          out.close();
          reportState();
          post({ type: 'closed', id: message.id });
        });
        return;
      case 'witness':
        witness ??= witnessThisThread({ thresholdMs: message.thresholdMs });
        return;
      case 'figures': {
        const count = lateness.count;
        const witnessed = message.reset && witness ? witness.take() : null;
        const heap = getHeapStatistics();
        post({
          type: 'figures',
          id: message.id,
          lateness: {
            p50_ms: count ? ms(lateness.percentile(50)) : NaN,
            p90_ms: count ? ms(lateness.percentile(90)) : NaN,
            p99_ms: count ? ms(lateness.percentile(99)) : NaN,
            mean_ms: count ? ms(lateness.mean) : NaN,
            max_ms: ms(maxLatenessNs),
            events: count,
          },
          stalls: { max_ms: ms(stalls.max), p99_ms: ms(stalls.percentile(99)) },
          heapMB: heap.used_heap_size / 2 ** 20,
          heapCommittedMB: heap.total_heap_size / 2 ** 20,
          witness: witnessed,
        });
        if (message.reset) {
          lateness.reset();
          maxLatenessNs = 0;
          stalls.reset();
        }
        return;
      }
    }
  });
}
