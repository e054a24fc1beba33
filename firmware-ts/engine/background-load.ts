import path from 'node:path';
import { BOX_DEFAULT_MODEL } from '../model/config.js';
import { MODELS_DIR } from '../paths.js';
import { GenerationEngine } from './engine.js';
import { STEPS } from '../pattern/pattern.js';

/**
 * Back-to-back generations in a worker thread: the load the timing benchmarks
 * measure MIDI sends under (as when a performer hammers GENERATE).
 */
export async function startBackgroundGeneration(
  opts: { model?: string } = {},
): Promise<{ stop(): Promise<void>; generations(): number }> {
  const engine = new GenerationEngine({ modelDir: path.join(MODELS_DIR, opts.model ?? BOX_DEFAULT_MODEL) });
  await engine.start();
  let count = 0;
  let running = true;
  const kick = Float32Array.from({ length: STEPS }, (_, s) => (s % 4 === 0 ? 1 : 0));
  const loop = async () => {
    for (let seed = 1; running; seed++) {
      try {
        await engine.generate({ drums: [kick, null, null, null, null, null, null, null, null] }, { seed });
        count++;
      } catch {
        // superseded or stopped: go on until told to stop
      }
    }
  };
  const done = loop();
  return {
    async stop() {
      running = false;
      await engine.stop();
      await done;
    },
    generations: () => count,
  };
}
