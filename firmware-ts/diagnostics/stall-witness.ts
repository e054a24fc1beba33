import { constants, PerformanceObserver } from 'node:perf_hooks';
import { hrMinusPerf } from '../time/thread-clock.js';

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

/** What one thread saw in a window: its late wake-ups and its own GC pauses, and how many of each did not fit. */
export interface Witnessed {
  gaps: Gap[];
  gcPauses: GcPause[];
  dropped: number;
}

const TICK_MS = 1;
const CAPACITY = 5000;

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
  #dropped = 0;

  constructor(options: { thresholdMs: number; tickMs?: number; capacity?: number }) {
    this.#thresholdMs = options.thresholdMs;
    this.#tickMs = options.tickMs ?? TICK_MS;
    this.#capacity = options.capacity ?? CAPACITY;
  }

  tick(nowMs: number): void {
    if (nowMs - this.#last > this.#tickMs + this.#thresholdMs) {
      if (this.#gaps.length < this.#capacity) this.#gaps.push({ from: this.#last, to: nowMs });
      else this.#dropped++;
    }
    this.#last = nowMs;
  }

  /** The gaps since the last take, and how many were over capacity. */
  take(): { gaps: Gap[]; dropped: number } {
    const taken = { gaps: this.#gaps, dropped: this.#dropped };
    this.#gaps = [];
    this.#dropped = 0;
    return taken;
  }
}

/**
 * Starts witnessing on the calling thread: a 1 ms tick into a GapLog and the
 * thread's GC pauses. Costs a timer callback a millisecond, and on the timing
 * thread it fills the old generation noticeably faster than the box does
 * (freed by full collections; docs/performance-history.md), so only soaks
 * turn it on, and memory is judged in soaks without it. `take` ends a window (ticking first, so a hold that
 * ends with the request that takes the window is in it).
 */
export function witnessThisThread(options: { thresholdMs: number }): { take(): Witnessed; stop(): void } {
  const offsetMs = hrMinusPerf() * 1000;
  const gaps = new GapLog({ thresholdMs: options.thresholdMs });
  const now = () => performance.now() + offsetMs;
  const tick = setInterval(() => gaps.tick(now()), TICK_MS);
  let gcPauses: GcPause[] = [];
  let gcDropped = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      // Short pauses too (incremental marking steps add up); bounded either way.
      if (entry.duration < 0.1) continue;
      if (gcPauses.length >= CAPACITY) {
        gcDropped++;
        continue;
      }
      // startTime is on this thread's performance.now() timeline.
      const from = entry.startTime + offsetMs;
      gcPauses.push({
        from,
        to: from + entry.duration,
        kind: gcKind((entry as { detail?: { kind?: number } }).detail?.kind),
      });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    take() {
      gaps.tick(now());
      const taken = gaps.take();
      const witnessed = { gaps: taken.gaps, gcPauses, dropped: taken.dropped + gcDropped };
      gcPauses = [];
      gcDropped = 0;
      return witnessed;
    },
    stop() {
      clearInterval(tick);
      observer.disconnect();
    },
  };
}

export type StallKind = 'gc' | 'machine' | 'both' | 'unexplained';

/** How the stalls of a run divide among their witnesses. */
export interface StallVerdict {
  stalls: number;
  /** Own GC pauses cover at least half of its lateness (and the idle thread does not). */
  gc: number;
  /** The idle thread was held through at least half of it (and GC does not cover it): the machine held both. */
  machine: number;
  /** Both cover at least half. */
  both: number;
  /** Neither does. */
  unexplained: number;
  /** The longest gap of each kind (ms the thread did not run; 0 when none). */
  longestMs: Record<StallKind, number>;
  /** The longest stalls, each with what covered it, for reading against the windows' steal. */
  worst: { from: number; ms: number; kind: StallKind; gcMs: number; idleMs: number }[];
}

/**
 * Judges each stall (a gap of the timing thread) by how much of its lateness
 * (the gap less the 1 ms tick) its witnesses cover: the thread's own GC
 * pauses, and the idle thread's gaps, less those the idle thread's own GC
 * explains. Half or more counts. A GC pause is wall time: if the machine
 * took the CPU during one, it looks long and is filed under `gc` or `both`.
 */
export function judgeStalls(
  stalls: readonly Gap[],
  gcPauses: readonly Gap[],
  idleGaps: readonly Gap[],
  idleGcPauses: readonly Gap[] = [],
  keepWorst = 5,
): StallVerdict {
  const verdict: StallVerdict = {
    stalls: 0,
    gc: 0,
    machine: 0,
    both: 0,
    unexplained: 0,
    longestMs: { gc: 0, machine: 0, both: 0, unexplained: 0 },
    worst: [],
  };
  const heldIdle = idleGaps.filter((g) => covered(g, idleGcPauses) < lateness(g) / 2);
  for (const stall of stalls) {
    const late = lateness(stall);
    const gcMs = covered(stall, gcPauses);
    const idleMs = covered(stall, heldIdle);
    const byGc = gcMs >= late / 2;
    const byMachine = idleMs >= late / 2;
    const kind: StallKind = byGc && byMachine ? 'both' : byGc ? 'gc' : byMachine ? 'machine' : 'unexplained';
    const ms = round(stall.to - stall.from);
    verdict.stalls++;
    verdict[kind]++;
    verdict.longestMs[kind] = Math.max(verdict.longestMs[kind], ms);
    verdict.worst.push({ from: stall.from, ms, kind, gcMs: round(gcMs), idleMs: round(idleMs) });
  }
  verdict.worst = verdict.worst.sort((a, b) => b.ms - a.ms).slice(0, keepWorst);
  return verdict;
}

/** Adds up verdicts (the worst kept across all). */
export function addVerdicts(a: StallVerdict, b: StallVerdict, keepWorst = 5): StallVerdict {
  const kinds = ['gc', 'machine', 'both', 'unexplained'] as const;
  const sum = {
    ...a,
    stalls: a.stalls + b.stalls,
    longestMs: { ...a.longestMs },
    worst: [...a.worst, ...b.worst].sort((x, y) => y.ms - x.ms).slice(0, keepWorst),
  };
  for (const kind of kinds) {
    sum[kind] = a[kind] + b[kind];
    sum.longestMs[kind] = Math.max(a.longestMs[kind], b.longestMs[kind]);
  }
  return sum;
}

export function emptyVerdict(): StallVerdict {
  return judgeStalls([], [], []);
}

/**
 * The soak's windows, judged one window late: a stall in window k meets the
 * witnesses of windows k-1, k and k+1, since a GC entry or an idle gap that
 * belongs to it may be reported a window on either side.
 */
export class StallJury {
  /** The last windows not yet forgotten: at most the one being judged and its neighbours. */
  readonly #windows: { timing: Witnessed; idle: Witnessed }[] = [];
  #verdict = emptyVerdict();
  #dropped = 0;

  /** The next window's witnesses; judges the window before it. */
  add(timing: Witnessed, idle: Witnessed): void {
    this.#dropped += timing.dropped + idle.dropped;
    this.#windows.push({ timing, idle });
    const n = this.#windows.length;
    if (n >= 2) this.#judge(n - 2);
    if (n === 3) this.#windows.shift();
  }

  /** Judges the last window and returns the verdict of the run, with how many records did not fit. */
  finish(): StallVerdict & { dropped: number } {
    if (this.#windows.length > 0) this.#judge(this.#windows.length - 1);
    this.#windows.length = 0;
    return { ...this.#verdict, dropped: this.#dropped };
  }

  #judge(k: number): void {
    const near = this.#windows.slice(Math.max(0, k - 1), k + 2);
    const verdict = judgeStalls(
      this.#windows[k].timing.gaps,
      near.flatMap((w) => w.timing.gcPauses),
      near.flatMap((w) => w.idle.gaps),
      near.flatMap((w) => w.idle.gcPauses),
    );
    this.#verdict = addVerdicts(this.#verdict, verdict);
  }
}

function lateness(gap: Gap): number {
  return Math.max(0, gap.to - gap.from - TICK_MS);
}

/** How much of `gap` the (disjoint) `spans` cover, ms. */
function covered(gap: Gap, spans: readonly Gap[]): number {
  let sum = 0;
  for (const s of spans) sum += Math.max(0, Math.min(gap.to, s.to) - Math.max(gap.from, s.from));
  return sum;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
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
