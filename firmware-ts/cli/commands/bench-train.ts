import { runTrainBench, type TrainBenchRow } from '../../diagnostics/bench-train.js';
import { MODEL_NAMES, isModelName, type ModelName } from '../../model/config.js';
import { UsageError, stringOption, type Command, integerOption } from '../command.js';

export const benchTrainCommand: Command = {
  name: 'bench train',
  summary: 'Training step time and sequences/s per model config, backends side by side',
  usage: `groovebox bench train [options]
  --backends LIST     backends to compare, in turn (default wasm,cpu)
  --models LIST       model configs (default ${MODEL_NAMES.join(',')})
  --steps N           timed steps per model on wasm/tensorflow, after one warm-up step (default 3)
  --cpu-steps N       timed steps on cpu (default 1: the JS backend is slow)
  --batch N           batch size on wasm/tensorflow (default 128, the training batch)
  --cpu-batch N       batch size on cpu (default 32; sequences/s stays comparable)
  --json              print one JSON object`,
  options: {
    backends: { type: 'string' },
    models: { type: 'string' },
    steps: { type: 'string' },
    'cpu-steps': { type: 'string' },
    batch: { type: 'string' },
    'cpu-batch': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values }) {
    const backends = (stringOption(values, 'backends') ?? 'wasm,cpu')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const b of backends)
      if (!['tensorflow', 'wasm', 'cpu'].includes(b))
        throw new UsageError(`--backends: unknown backend "${b}" (expected tensorflow, wasm, cpu)`);
    const models = (stringOption(values, 'models') ?? MODEL_NAMES.join(',')).split(',').map((s) => s.trim());
    for (const m of models)
      if (!isModelName(m)) throw new UsageError(`--models: unknown model "${m}" (expected ${MODEL_NAMES.join(', ')})`);
    const rows: TrainBenchRow[] = [];
    for (const backend of backends) {
      const cpu = backend === 'cpu';
      const job = {
        backend,
        models: models as ModelName[],
        steps: cpu ? integerOption(values, 'cpu-steps', 1, 1, 1000) : integerOption(values, 'steps', 3, 1, 1000),
        batch: cpu ? integerOption(values, 'cpu-batch', 32, 1, 4096) : integerOption(values, 'batch', 128, 1, 4096),
      };
      if (!values.json)
        process.stderr.write(
          `groovebox: bench train on ${backend}: ${job.models.join(', ')}, batch ${job.batch}, ${job.steps} timed step(s) each...\n`,
        );
      rows.push(...(await runTrainBench(job)));
    }
    if (values.json) {
      process.stdout.write(JSON.stringify({ rows }) + '\n');
      return;
    }
    for (const m of models) {
      const cells = rows
        .filter((r) => r.model === m)
        .map((r) => `${r.backend}: ${r.step_ms_median} ms/step at batch ${r.batch}, ${r.sequences_per_s} seq/s`);
      process.stdout.write(`${m.padEnd(8)} ${cells.join(' | ')}\n`);
    }
  },
};
