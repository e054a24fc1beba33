/**
 * The MIDI timing worker with V8's sampling heap profiler running in its own
 * isolate, for profile-timing-thread.ts: starts the real worker, lets it warm
 * up, then samples. Settings come through the environment, since workerData
 * belongs to the real worker; the result goes to PROFILE_OUT as JSON, since
 * the MidiThread on the other side only knows the real protocol.
 */
import { renameSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector/promises';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { allocationSites, type ProfileNode } from './allocation-sites.js';

/** allocated: every allocation; retained: what is still on the heap at the end; none: no sampler (heap growth only). */
export type ProfileMode = 'allocated' | 'retained' | 'none';

export interface TimingProfile {
  seconds: number;
  mode: ProfileMode;
  /** Bytes sampled per allocation site ("function file:line"). */
  sites: [string, number][];
  /** old_space used, MB, every 5 s from the start of sampling and once at the end. */
  oldSpaceMB: number[];
  /** Seconds from the first reading to the last. */
  span: number;
  /** Collections seen, when counting them was asked for (null otherwise). */
  gcs: { scavenges: number; fullCollections: number } | null;
}

const seconds = Number(process.env.PROFILE_SECONDS);
const mode = (process.env.PROFILE_MODE ?? 'allocated') as ProfileMode;
const outFile = process.env.PROFILE_OUT ?? '';

const oldSpaceMB = () => Math.round((getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')?.space_used_size ?? 0) / 2 ** 10) / 2 ** 10;

await import('../firmware-ts/outputs/midi/timing-worker.js');
await new Promise((r) => setTimeout(r, 2000)); // past start-up: the port opens, the first events arrive, code is compiled

// Observing collections allocates an entry per collection, which itself gets promoted: only on request.
let gcs: TimingProfile['gcs'] = null;
let observer: PerformanceObserver | null = null;
if (process.env.PROFILE_COUNT_GC === '1') {
  const counts = (gcs = { scavenges: 0, fullCollections: 0 });
  observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      // An incremental full collection also reports its marking steps (INCREMENTAL): count it once.
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) counts.scavenges++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) counts.fullCollections++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
}

const session = new inspector.Session();
session.connect();
if (mode !== 'none') {
  await session.post('HeapProfiler.enable');
  const collectedToo = mode === 'allocated';
  // The profile comes back as one string inside this thread's 8 MB old generation:
  // sample all garbage sparsely (about 1 MB/s of it), what stays densely.
  const samplingInterval = collectedToo ? 4096 : 256;
  await session.post('HeapProfiler.startSampling', { samplingInterval, includeObjectsCollectedByMajorGC: collectedToo, includeObjectsCollectedByMinorGC: collectedToo } as never);
}
const startedAt = performance.now();
const trend = [oldSpaceMB()];
const trendTimer = setInterval(() => trend.push(oldSpaceMB()), 5000);
await new Promise((r) => setTimeout(r, seconds * 1000));
clearInterval(trendTimer);
trend.push(oldSpaceMB());
const span = (performance.now() - startedAt) / 1000;
observer?.disconnect();

let sites = new Map<string, number>();
if (mode === 'retained') {
  // A minor collection first: young garbage not yet scavenged drops out, and what is
  // left is live or was promoted (the garbage that fills the old generation).
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as (options: { type: 'minor' }) => void)({ type: 'minor' });
}
if (mode !== 'none') {
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };
  sites = allocationSites(profile.head);
}
session.disconnect();
const result: TimingProfile = { seconds, mode, sites: [...sites], oldSpaceMB: trend, span, gcs };
// Written aside and renamed: the reader waits for the name.
writeFileSync(`${outFile}.part`, JSON.stringify(result));
renameSync(`${outFile}.part`, outFile);
