import path from 'node:path';
import { loadCache } from '../../dataset/cache.js';
import { initBackend } from '../../ml/runtime.js';
import { GrooveModel } from '../../model/generator.js';
import { encodeUnderTap, UNDER_TAP_MANIFEST_FILE, UNDER_TAP_WEIGHTS_FILE } from '../../model/under-tap.js';
import { datasetDir } from '../../paths.js';
import { writeFileAtomicSync } from '../../storage/atomic-file.js';
import { spreadPatterns } from '../../train/spread-patterns.js';
import { fitUnderTap, UNDER_TAP_DEFAULTS } from '../../train/under-tap-fit.js';
import {
  backendOption,
  integerOption,
  stringOption,
  trainedModelFolder,
  UsageError,
  type Command,
} from '../command.js';

export const fitUnderTapCommand: Command = {
  name: 'fit-under-tap',
  summary:
    "Fits a step-decoder model's network for the notes under a tap (where a tapped groove's other notes go) on the train split",
  usage: `groovebox fit-under-tap --model NAME [options]
  --model NAME        the model folder's name under --models-dir
  --models-dir DIR    folder with one trained model per name (default models/)
  --windows N         train windows to fit on, spread evenly (default: all)
  --epochs N          passes over them; the one best on the validation split is kept (default ${UNDER_TAP_DEFAULTS.epochs})
  --units A,B         the two hidden layers' sizes (default ${UNDER_TAP_DEFAULTS.hidden.join(',')})
  --seed N            initial weights, order and dropout (default 1)
  --data DIR          dataset folder (default: $GROOVEBOX_DATA or ../shared/datasets/groove)
  --backend B         tensorflow|wasm|cpu (default: best available; or $GROOVEBOX_BACKEND)`,
  options: {
    model: { type: 'string' },
    'models-dir': { type: 'string' },
    windows: { type: 'string' },
    epochs: { type: 'string' },
    units: { type: 'string' },
    seed: { type: 'string' },
    data: { type: 'string' },
    backend: { type: 'string' },
  },
  async run({ values }) {
    const { name, dir } = trainedModelFolder(values);
    const log = (m: string) => process.stderr.write(`${m}\n`);
    await initBackend(backendOption(values), log);
    // Loaded only to check it is a whole model with the step decoder (the network does not read its weights); the
    // files drawing reads beside it are left unread: this refits one, and a bad one must not stop that.
    const model = GrooveModel.load(dir, { calibration: false, underTap: false });
    const decoder = model.config.decoder.kind;
    model.dispose();
    if (decoder !== 'steps')
      throw new UsageError(
        `${dir}: ${name} has the paper's LSTM decoder, which does not pin a tapped groove; only the step decoder uses this network`,
      );
    const units = (stringOption(values, 'units') ?? UNDER_TAP_DEFAULTS.hidden.join(',')).split(',');
    const hidden = units.map(Number);
    if (hidden.length !== 2 || !hidden.every((u) => Number.isInteger(u) && u >= 1 && u <= 4096))
      throw new UsageError(`--units: expected two whole numbers 1..4096 such as 128,64, got "${values.units}"`);
    const epochs = integerOption(values, 'epochs', UNDER_TAP_DEFAULTS.epochs, 1, 1000);
    const seed = integerOption(values, 'seed', 1, 0, 2 ** 31);
    const { train, validation } = loadCache(datasetDir(stringOption(values, 'data')), log).splits;
    const windows = integerOption(values, 'windows', train.count, 1);
    const { net, fit } = await fitUnderTap(
      spreadPatterns(train.data, train.count, windows),
      spreadPatterns(validation.data, validation.count, validation.count),
      { hidden: [hidden[0], hidden[1]], epochs, seed, log },
    );
    const files = encodeUnderTap(net, fit);
    // The weights first: a stop between the two writes leaves a manifest that names the old weights' shape or the new one.
    for (const file of [UNDER_TAP_WEIGHTS_FILE, UNDER_TAP_MANIFEST_FILE]) {
      writeFileAtomicSync(path.join(dir, file), files[file]);
      process.stdout.write(`${path.join(dir, file)}\n`);
    }
  },
};
