import { BroadcastChannel, parentPort, workerData } from 'node:worker_threads';
import type { ToWorker, WorkerConfig } from '../../firmware-ts/engine/protocol.js';

/**
 * The real generation worker with one test seam beside it, so the product's
 * protocol carries no test switch: `armCrash(modelDir)` makes the worker on
 * that folder die on its next generation request, as a crash in the middle of
 * one would (the request is lost and must be retried by the engine).
 */
const channelName = (modelDir: string) => `groovebox-test:crash:${modelDir}`;

/** Resolves once the worker on `modelDir` has armed itself (it answers on the same channel). */
export async function armCrash(modelDir: string): Promise<void> {
  const channel = new BroadcastChannel(channelName(modelDir));
  try {
    await new Promise<void>((resolve) => {
      channel.onmessage = (event) => {
        if ((event as { data: unknown }).data === 'armed') resolve();
      };
      channel.postMessage('arm');
    });
  } finally {
    channel.close();
  }
}

if (parentPort) {
  const { modelDir } = workerData as WorkerConfig;
  const channel = new BroadcastChannel(channelName(modelDir));
  // The worker must still end when the engine lets it go: the channel alone must not keep it alive.
  (channel as unknown as { unref(): void }).unref();
  let armed = false;
  channel.onmessage = (event) => {
    if ((event as { data: unknown }).data !== 'arm') return;
    armed = true;
    channel.postMessage('armed');
  };
  // Listening before the real worker does: this handler runs first, so the request never reaches the model.
  parentPort.on('message', (msg: ToWorker) => {
    if (armed && msg.type === 'generate') process.exit(5);
  });
  await import('../../firmware-ts/engine/generation-worker.js');
}
