import path from 'node:path';
import { loadCache } from '../../dataset/cache.js';
import { initBackend } from '../../ml/runtime.js';
import { GrooveModel } from '../../model/generator.js';
import { datasetDir } from '../../paths.js';
import { writeFileAtomicSync } from '../../storage/atomic-file.js';
import {
  CALIBRATION_WINDOWS,
  fitModelVelocityCalibration,
  velocityCalibrationFiles,
} from '../../train/velocity-calibration-fit.js';
import {
  backendOption,
  integerOption,
  stringOption,
  trainedModelFolder,
  UsageError,
  type Command,
} from '../command.js';

export const calibrateCommand: Command = {
  name: 'calibrate',
  summary:
    "Fits a trained step-decoder model's velocity calibration on the train split (train does it for new weights)",
  usage: `groovebox calibrate --model NAME [options]
  --model NAME        the model folder's name under --models-dir
  --models-dir DIR    folder with one trained model per name (default models/)
  --windows N         train windows to fit on, spread evenly (default ${CALIBRATION_WINDOWS})
  --data DIR          dataset folder (default: $GROOVEBOX_DATA or ../shared/datasets/groove)
  --backend B         tensorflow|wasm|cpu (default: best available; or $GROOVEBOX_BACKEND)`,
  options: {
    model: { type: 'string' },
    'models-dir': { type: 'string' },
    windows: { type: 'string' },
    data: { type: 'string' },
    backend: { type: 'string' },
  },
  async run({ values }) {
    const { dir } = trainedModelFolder(values);
    const windows = integerOption(values, 'windows', CALIBRATION_WINDOWS, 1);
    const log = (m: string) => process.stderr.write(`${m}\n`);
    await initBackend(backendOption(values), log);
    // The calibration in the folder is not read: it is what is refitted, and a bad one must not stop that.
    const model = GrooveModel.load(dir, { calibration: false });
    try {
      if (model.config.decoder.kind !== 'steps')
        throw new UsageError(`${dir}: ${model.name} has the paper's LSTM decoder; only the step decoder is calibrated`);
      const { train } = loadCache(datasetDir(stringOption(values, 'data')), log).splits;
      const calibration = fitModelVelocityCalibration(model, train.data, train.count, windows);
      for (const [file, bytes] of Object.entries(velocityCalibrationFiles(calibration))) {
        writeFileAtomicSync(path.join(dir, file), bytes);
        process.stdout.write(`${path.join(dir, file)}\n`);
      }
    } finally {
      model.dispose();
    }
  },
};
