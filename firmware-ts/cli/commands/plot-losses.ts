import fs from 'node:fs';
import path from 'node:path';
import { MODEL_NAMES } from '../../model/config.js';
import { MODELS_DIR } from '../../paths.js';
import { lossCurvesSvg, readLossLog } from '../../train/loss-plot.js';
import { stringOption, type Command } from '../command.js';

export const plotLossesCommand: Command = {
  name: 'plot-losses',
  summary: "Draws each model's loss curves from its train-log.csv into models/<name>/loss.svg",
  usage: `groovebox plot-losses [--models-dir DIR]
  --models-dir DIR   folder holding <name>/train-log.csv (default models/)`,
  options: { 'models-dir': { type: 'string' } },
  async run({ values }) {
    const dir = path.resolve(stringOption(values, 'models-dir') ?? MODELS_DIR);
    for (const name of MODEL_NAMES) {
      const log = path.join(dir, name, 'train-log.csv');
      if (!fs.existsSync(log)) {
        process.stderr.write(`groovebox: ${log}: no training log, skipped\n`);
        continue;
      }
      const out = path.join(dir, name, 'loss.svg');
      fs.writeFileSync(out, lossCurvesSvg(`${name}: loss per epoch (train-log.csv)`, readLossLog(log)));
      process.stdout.write(`${out}\n`);
    }
  },
};
