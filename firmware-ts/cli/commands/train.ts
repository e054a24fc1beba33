import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../../ml/runtime.js';
import { MODEL_CONFIGS, MODEL_NAMES, isModelName, type ModelConfig } from '../../model/config.js';
import { MODELS_DIR, datasetDir } from '../../paths.js';
import { train } from '../../train/trainer.js';
import { UsageError, numberOption, stringOption, type Command, integerOption, backendOption } from '../command.js';

export const trainCommand: Command = {
  name: 'train',
  summary: 'Trains one of the four models on the Groove MIDI Dataset (resumable)',
  usage: `groovebox train --model ${MODEL_NAMES.join('|')} [options]
  --epochs N          epochs to reach in total (default 40)
  --minutes M         stop with a checkpoint after M minutes of training in total (default 170)
  --resume            continue the run in models/<name>/checkpoint (same data order and optimizer state)
  --seed S            random seed of a fresh run (default 1)
  --out DIR           model folder (default models/<name>)
  --data DIR          dataset folder (default: $GROOVEBOX_DATA or ../shared/datasets/groove)
  --backend B         tensorflow|wasm|cpu (default: best available; or $GROOVEBOX_BACKEND)
  --limit N           train on the first N windows only (smoke tests)
  --checkpoint-minutes M  checkpoint interval (default 3)
  --threads N         1 or 2: with 2, a worker thread computes half of every batch on the second core
                      (wasm runs one thread per backend; default 2 where the machine has two cores)
  Training experiments (written into the model's config.json; give them again with --resume):
  --hide-probability P  chance that training hides each input (default: the model's; ag11s 0.5, the others 0)
  --input-dropout P     LSTM decoder: chance that a step is not shown the previous step's output (default 0)
  --kl-beta B           cost per nat of KL above the free bits (default 0.2)
  --timing-weight W     LSTM decoder: weight of the velocity and offset errors against the hits'
                        (default: the model's; fvae2, ag2 and ag11 30, GrooVAE's baseline 1)
  --lstm-dropout P      chance that each element of every LSTM layer's input is dropped (GrooVAE: 0.7; default 0)
  --encoder-units N     BiLSTM units per direction of every BiLSTM encoder (default: the model's; the paper: 512)
  --decoder-units N     LSTM decoder units per layer (default: the model's; the paper: 256)
  --decoder-layers N    LSTM decoder layers (default: the model's; the paper: 2)`,
  options: {
    model: { type: 'string' },
    epochs: { type: 'string' },
    minutes: { type: 'string' },
    resume: { type: 'boolean' },
    seed: { type: 'string' },
    out: { type: 'string' },
    data: { type: 'string' },
    backend: { type: 'string' },
    limit: { type: 'string' },
    'checkpoint-minutes': { type: 'string' },
    threads: { type: 'string' },
    'hide-probability': { type: 'string' },
    'input-dropout': { type: 'string' },
    'kl-beta': { type: 'string' },
    'timing-weight': { type: 'string' },
    'lstm-dropout': { type: 'string' },
    'encoder-units': { type: 'string' },
    'decoder-units': { type: 'string' },
    'decoder-layers': { type: 'string' },
  },
  async run({ values }) {
    const name = stringOption(values, 'model');
    if (!name || !isModelName(name))
      throw new UsageError(
        `--model: expected one of ${MODEL_NAMES.join(', ')}, got ${name === undefined ? 'nothing' : `"${name}"`}`,
      );
    const config = experimentConfig(MODEL_CONFIGS[name], values);
    const log = (m: string) => process.stdout.write(`${new Date().toISOString()} ${m}\n`);
    const backend = await initBackend(backendOption(values), log);
    const limit = values.limit === undefined ? undefined : integerOption(values, 'limit', 0, 64);
    // Ctrl-C or a service stop: finish the step, save a checkpoint, exit 130 / 143 (stopped, not finished). A signal
    // coming a second later quits at once; two queued during one step (a one-thread step never yields) count as one.
    let stoppedBy: NodeJS.Signals | null = null;
    let stoppedAt = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stoppedBy && performance.now() - stoppedAt > 1000) process.exit(signalExitCode(signal));
      if (stoppedBy) return;
      stoppedBy = signal;
      stoppedAt = performance.now();
      log(`groovebox:train ${signal}: stopping after this step (a checkpoint is saved; again to quit at once)`);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await train({
        config,
        outDir: path.resolve(stringOption(values, 'out') ?? path.join(MODELS_DIR, name)),
        dataDir: datasetDir(stringOption(values, 'data')),
        epochs: integerOption(values, 'epochs', 40, 1, 10000),
        maxMinutes: numberOption(values, 'minutes', 170, 0.1),
        resume: Boolean(values.resume),
        seed: integerOption(values, 'seed', 1, 0),
        backend,
        checkpointSeconds: numberOption(values, 'checkpoint-minutes', 3, 0.05) * 60,
        limit,
        log,
        threads: integerOption(values, 'threads', Math.min(2, os.availableParallelism()), 1, 2),
        stopRequested: () => stoppedBy !== null,
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    return stoppedBy ? signalExitCode(stoppedBy) : 0;
  },
};

/** The shell's code for a process ended by `signal` (a stopped run is not a finished one to `&&`). */
function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

/**
 * The model's config with the training experiments the command line asks for. A value equal to the model's own leaves
 * the config as it is, so a run started without the flag resumes with it and the other way round.
 */
export function experimentConfig(base: ModelConfig, values: Record<string, unknown>): ModelConfig {
  let config = base;
  if (values['hide-probability'] !== undefined) {
    const p = numberOption(values, 'hide-probability', 0, 0, 0.99);
    config = { ...config, factors: config.factors.map((f) => ({ ...f, dropProbability: p })) };
  }
  if (values['input-dropout'] !== undefined) {
    if (config.decoder.kind === 'steps')
      throw new UsageError(`--input-dropout: ${config.name} has no autoregressive decoder to apply it to`);
    const p = numberOption(values, 'input-dropout', 0, 0, 0.99);
    const { inputDropout: _none, ...decoder } = config.decoder;
    config = { ...config, decoder: p > 0 ? { ...decoder, inputDropout: p } : decoder };
  }
  if (values['kl-beta'] !== undefined)
    config = { ...config, loss: { ...config.loss, beta: numberOption(values, 'kl-beta', 0.2, 0, 10) } };
  if (values['timing-weight'] !== undefined) {
    if (config.decoder.kind === 'steps')
      throw new UsageError(`--timing-weight: ${config.name} scales its own timing errors (a Laplace likelihood)`);
    const w = numberOption(values, 'timing-weight', 1, 0.001, 1000);
    const { timingWeight: _none, ...loss } = config.loss;
    config = { ...config, loss: w !== 1 ? { ...loss, timingWeight: w } : loss };
  }
  if (values['lstm-dropout'] !== undefined) {
    if (config.decoder.kind === 'steps')
      throw new UsageError(`--lstm-dropout: ${config.name} has no LSTM to apply it to`);
    const p = numberOption(values, 'lstm-dropout', 0, 0, 0.99);
    const { lstmInputDropout: _none, ...train } = config.train;
    config = { ...config, train: p > 0 ? { ...train, lstmInputDropout: p } : train };
  }
  if (values['encoder-units'] !== undefined) {
    if (!config.factors.some((f) => f.encoder === 'bilstm'))
      throw new UsageError(`--encoder-units: ${config.name} has no BiLSTM encoder to size`);
    const units = integerOption(values, 'encoder-units', 64, 1, 2048);
    config = { ...config, factors: config.factors.map((f) => (f.encoder === 'bilstm' ? { ...f, units } : f)) };
  }
  for (const [flag, key, max] of [
    ['decoder-units', 'units', 2048],
    ['decoder-layers', 'layers', 4],
  ] as const) {
    if (values[flag] === undefined) continue;
    if (config.decoder.kind === 'steps') throw new UsageError(`--${flag}: ${config.name} has no LSTM decoder to size`);
    config = { ...config, decoder: { ...config.decoder, [key]: integerOption(values, flag, 1, 1, max) } };
  }
  return config;
}
