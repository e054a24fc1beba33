import { parentPort, workerData } from 'node:worker_threads';
import { readPatterns } from '../../firmware-ts/midi-file/read.js';
import { runFuzz } from './fuzz-midi.js';

// Runs MIDI reading off the test's thread: a parser stuck in an endless
// synchronous loop cannot be stopped by mocha's timeout, but a worker can be terminated.
const job = workerData as { seed: number; cases: number } | { bytes: Uint8Array; name: string };
if ('bytes' in job) {
  try {
    parentPort!.postMessage({ result: { patterns: readPatterns(job.bytes, job.name).length } });
  } catch (err) {
    parentPort!.postMessage({
      result: { errorName: (err as Error)?.name, message: (err as Error)?.message ?? String(err) },
    });
  }
} else {
  const result = runFuzz(job.seed, job.cases, (n) => parentPort!.postMessage({ progress: n }));
  parentPort!.postMessage({ result });
}
