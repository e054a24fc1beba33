import type { SequencerEvent } from '../../sequencer/events.js';
import type { Seconds } from '../../time/clock.js';
import type { Witnessed } from '../../diagnostics/stall-witness.js';
import type { NoteMap } from './note-map.js';

/** Which port the timing thread opens: functions cannot cross threads, so it is described. */
export type MidiPortSpec =
  /** easymidi: a system port by (part of) its name, or null for the virtual "GrooveBox" port. */
  | { kind: 'easymidi'; port: string | null }
  /**
   * A fake port that keeps nothing (the soak, benchmarks and tests: the lateness figures come from the
   * thread); `report`: every message comes back as it leaves.
   */
  | { kind: 'fake'; name: string; report?: boolean };

export interface TimingThreadConfig {
  port: MidiPortSpec;
  noteMap: NoteMap;
  sendClock: boolean;
  noteLength: Seconds;
  retryInterval?: Seconds;
  /** SCHED_FIFO priority of the timing thread (false: normal scheduling). */
  realtime: number | false;
  /**
   * process.hrtime (s) minus performance.now() (s) on the main thread, read back
   * to back. Each thread's performance.now() has its own origin; hrtime is one
   * monotonic clock for the whole process, so this pair converts exactly.
   */
  mainHrMinusPerf: Seconds;
  /** Release every note on our channels right after connecting (a restarted thread cannot know what was sounding). */
  releaseOnConnect: boolean;
  /** One Int32 the thread's event loop increments every `heartbeatEvery`: the main thread sees a hang by it. */
  heartbeat: SharedArrayBuffer;
  heartbeatEvery: Seconds;
  /** For a worker entry other than the product's (a test's, with faults): its own data. The product's entry ignores it. */
  entryData?: unknown;
}

/** How late messages left, as measured on the timing thread. */
export interface LatenessFigures {
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  mean_ms: number;
  max_ms: number;
  events: number;
}

/** Event-loop delay of the timing thread: how late it woke up. */
export interface StallFigures {
  max_ms: number;
  p99_ms: number;
}

export type ToTimingThread =
  | { type: 'events'; events: SequencerEvent[] }
  | { type: 'connect'; id: number }
  | { type: 'close'; id: number }
  /** Returns the figures since the last reset; `reset` starts a new window. */
  | { type: 'figures'; id: number; reset: boolean }
  /** Soaks: start recording wake-ups later than `thresholdMs`, and GC pauses, for the figures (see stall-witness.ts). */
  | { type: 'witness'; thresholdMs: number };

export type FromTimingThread =
  | { type: 'log'; message: string }
  | { type: 'state'; connected: boolean; portName: string | null; realtime: number | null }
  | { type: 'connected'; id: number; ok: boolean }
  | { type: 'closed'; id: number }
  /** A message as it left (fake port with `report` only); times on the main thread's clock. */
  | { type: 'sent'; bytes: number[]; due: Seconds; at: Seconds }
  | {
      type: 'figures';
      id: number;
      lateness: LatenessFigures;
      stalls: StallFigures;
      heapMB: number;
      heapCommittedMB: number;
      witness: Witnessed | null;
    };
