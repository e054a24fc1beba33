import path from 'node:path';
import { benchGenerate } from '../../diagnostics/bench-generate.js';
import { BOX_DEFAULT_MODEL, MODEL_NAMES, isModelName } from '../../model/config.js';
import { MODELS_DIR } from '../../paths.js';
import { UsageError, stringOption, type Command, integerOption, backendOption } from '../command.js';

export const benchGenerateCommand: Command = {
  name: 'bench generate',
  summary: 'Batch-1 generation latency of a trained model (p50/p99), its load time and a tensor-leak check',
  usage: `groovebox bench generate [options]
  --model NAME        ${MODEL_NAMES.join('|')} (default ${BOX_DEFAULT_MODEL})
  --models-dir DIR    folder holding the model folders (default models/)
  --n N               timed generations (default 500)
  --warmup N          untimed generations first (default 20)
  --backend B         tensorflow|wasm|cpu (default: best available; or $GROOVEBOX_BACKEND)
  --gc-between        a full garbage collection before each timed generation, untimed (node --expose-gc):
                      how much of the tail is the collector's
  --json              print one JSON object (p50_ms, p99_ms, backend, load_ms, ...)`,
  options: {
    model: { type: 'string' },
    'models-dir': { type: 'string' },
    n: { type: 'string' },
    warmup: { type: 'string' },
    backend: { type: 'string' },
    'gc-between': { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run({ values }) {
    const name = stringOption(values, 'model') ?? BOX_DEFAULT_MODEL;
    if (!isModelName(name)) throw new UsageError(`--model: expected one of ${MODEL_NAMES.join(', ')}, got "${name}"`);
    if (values['gc-between'] && !globalThis.gc)
      throw new UsageError('--gc-between: run node with --expose-gc (npm run -s groovebox does)');
    const modelsDir = path.resolve(stringOption(values, 'models-dir') ?? MODELS_DIR);
    const result = await benchGenerate({
      modelDir: path.join(modelsDir, name),
      n: integerOption(values, 'n', 500, 1, 1e6),
      warmup: integerOption(values, 'warmup', 20, 1, 1e5),
      backend: backendOption(values),
      collectBetween: Boolean(values['gc-between']),
    });
    if (values.json) {
      process.stdout.write(JSON.stringify(result) + '\n');
      return;
    }
    const r = result;
    process.stdout.write(
      `${r.model} on ${r.backend}: ${r.n} generations at batch 1, p50 ${r.p50_ms} ms, p90 ${r.p90_ms} ms, p99 ${r.p99_ms} ms (min ${r.min_ms}, max ${r.max_ms})\n` +
        `load ${r.load_ms} ms (+ backend start ${r.backend_init_ms} ms, first generation ${r.first_generation_ms} ms); tensors ${r.tensors_before} -> ${r.tensors_after}\n`,
    );
  },
};
