import { constants, PerformanceObserver } from 'node:perf_hooks';
import { hrMinusPerf } from './thread-clock.js';

/**
 * Who else saw a stall. A timing-thread stall over 5 ms on this VM may be our
 * own garbage collection or the machine (hypervisor steal, the kernel); the
 * soak tells them apart by witnesses: the thread's own GC pauses, and an idle
 * thread at the same priority that was held at the same moment. Times are
 * milliseconds on process.hrtime, one clock for every thread of the process.
 */

/** A thread that ticks every millisecond did not run from `from` to `to`. */
export interface Gap {
  from: number;
  to: number;
}

/** A garbage collection on the measured thread (PerformanceObserver 'gc'). */
export interface GcPause extends Gap {
  kind: 'minor' | 'major' | 'incremental' | 'weak callbacks' | 'other';
}

/**
 * Records the gaps between ticks longer than `tickMs + thresholdMs`: times the
 * thread woke more than `thresholdMs` late. Bounded: a window keeps its first
 * `capacity` gaps and counts the rest.
 */
export class GapLog {
  readonly #thresholdMs: number;
  readonly #tickMs: number;
  readonly #capacity: number;
  #gaps: Gap[] = [];
  #last = NaN;
  dropped = 0;

  constructor(options: { thresholdMs: number; tickMs?: number; capacity?: number }) {
    this.#thresholdMs = options.thresholdMs;
    this.#tickMs = options.tickMs ?? 1;
    this.#capacity = options.capacity ?? 1000;
  }

  tick(nowMs: number): void {
    if (nowMs - this.#last > this.#tickMs + this.#thresholdMs) {
      if (this.#gaps.length < this.#capacity) this.#gaps.push({ from: this.#last, to: nowMs });
      else this.dropped++;
    }
    this.#last = nowMs;
  }

  /** The gaps since the last take. */
  take(): Gap[] {
    const gaps = this.#gaps;
    this.#gaps = [];
    return gaps;
  }
}

/** How the stalls of a run divide among their witnesses. */
export interface StallVerdict {
  stalls: number;
  /** Overlapping one of the thread's own GC pauses (and no idle-thread gap). */
  gc: number;
  /** Overlapping a gap of the idle thread (and no GC pause): the machine held both. */
  machine: number;
  /** Overlapping both. */
  both: number;
  /** Overlapping neither. */
  unexplained: number;
  /** The longest gap of each kind (ms the thread did not run; 0 when none). */
  longestMs: { gc: number; machine: number; both: number; unexplained: number };
}

export function judgeStalls(stalls: readonly Gap[], gcPauses: readonly Gap[], idleGaps: readonly Gap[]): StallVerdict {
  const verdict: StallVerdict = { stalls: stalls.length, gc: 0, machine: 0, both: 0, unexplained: 0, longestMs: { gc: 0, machine: 0, both: 0, unexplained: 0 } };
  for (const stall of stalls) {
    const byGc = gcPauses.some((p) => overlaps(stall, p));
    const byMachine = idleGaps.some((g) => overlaps(stall, g));
    const kind = byGc && byMachine ? 'both' : byGc ? 'gc' : byMachine ? 'machine' : 'unexplained';
    verdict[kind]++;
    verdict.longestMs[kind] = Math.max(verdict.longestMs[kind], Math.round((stall.to - stall.from) * 1000) / 1000);
  }
  return verdict;
}

function overlaps(a: Gap, b: Gap): boolean {
  return a.from < b.to && b.from < a.to;
}

/**
 * Starts witnessing on the calling thread: a 1 ms tick into a GapLog and, if
 * asked, a GC observer. Costs a timer callback a millisecond, so only soaks
 * turn it on. Returns what to call at each window's end, and how to stop.
 */
export function witnessThisThread(options: { thresholdMs: number; gc: boolean }): { take(): { gaps: Gap[]; gcPauses: GcPause[] }; stop(): void } {
  const offsetMs = hrMinusPerf() * 1000;
  const gaps = new GapLog({ thresholdMs: options.thresholdMs });
  const tick = setInterval(() => gaps.tick(performance.now() + offsetMs), 1);
  let gcPauses: GcPause[] = [];
  const observer = options.gc
    ? new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          // Pauses under a millisecond cannot make a 5 ms stall; a bounded list either way.
          if (entry.duration < 1 || gcPauses.length >= 1000) continue;
          const from = entry.startTime + offsetMs;
          gcPauses.push({ from, to: from + entry.duration, kind: gcKind((entry as { detail?: { kind?: number } }).detail?.kind) });
        }
      })
    : null;
  observer?.observe({ entryTypes: ['gc'] });
  return {
    take() {
      const taken = { gaps: gaps.take(), gcPauses };
      gcPauses = [];
      return taken;
    },
    stop() {
      clearInterval(tick);
      observer?.disconnect();
    },
  };
}

function gcKind(kind: number | undefined): GcPause['kind'] {
  switch (kind) {
    case constants.NODE_PERFORMANCE_GC_MINOR:
      return 'minor';
    case constants.NODE_PERFORMANCE_GC_MAJOR:
      return 'major';
    case constants.NODE_PERFORMANCE_GC_INCREMENTAL:
      return 'incremental';
    case constants.NODE_PERFORMANCE_GC_WEAKCB:
      return 'weak callbacks';
    default:
      return 'other';
  }
}
