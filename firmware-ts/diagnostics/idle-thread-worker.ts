import { parentPort, workerData } from 'node:worker_threads';
import { witnessThisThread } from './stall-witness.js';
import { raiseThreadPriority } from '../time/thread-priority.js';

/** See idle-thread.ts: a thread at the timing thread's priority that only ticks, and says when it was held. */
const port = parentPort;
if (!port) throw new Error('idle-thread-worker must run in a worker thread');
const { realtime, thresholdMs } = workerData as { realtime: number | false; thresholdMs: number };
const problems: string[] = [];
const priority = raiseThreadPriority({ realtime }, (m) => problems.push(m));
const witness = witnessThisThread({ thresholdMs });
port.on('message', (message: { type: 'take' }) => {
  if (message.type === 'take')
    port.postMessage({ witnessed: witness.take(), realtime: priority.realtime, problems: problems.splice(0) });
});
