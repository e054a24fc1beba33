import { DRUM_COUNT } from '../../pattern/drums.js';
import { score } from '../../pattern/gestures.js';
import { STEPS } from '../../pattern/pattern.js';
import type { Gestures } from '../../pattern/gesture-layout.js';
import { UsageError, type Command } from '../command.js';
import { COMMON_OPTIONS, COMMON_USAGE, commonPlan, describeInputs, readInput, runPlan } from './generate.js';

/**
 * GrooVAE's "humanize" with our models: the whole score of the input is given
 * (every drum, silent ones as explicitly empty, so nothing is added), the
 * groove and accents come from the prior: the model decides how to play it.
 */
export const humanizeCommand: Command = {
  name: 'humanize',
  summary: 'Plays a quantized drum part with velocities and microtiming (score given, groove from the model)',
  usage: `groovebox humanize in.mid --out out.mid [options]
  in.mid              a drum part in 4/4 (longer files: every 2 bars in turn)
${COMMON_USAGE}`,
  options: { ...COMMON_OPTIONS },
  positionals: true,
  async run({ values, positionals }) {
    if (positionals.length !== 1)
      throw new UsageError(
        `groovebox humanize: expected one input MIDI file, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`,
      );
    const common = commonPlan(values);
    const input = readInput('input', positionals[0]);
    describeInputs([input], (m) => process.stderr.write(`${m}\n`));
    const loops: Gestures[] = input.patterns.map((p) => ({
      score: score(p),
      drums: Array.from({ length: DRUM_COUNT }, (_, d) =>
        Float32Array.from({ length: STEPS }, (_, s) => (p.hit(s, d) ? 1 : 0)),
      ),
    }));
    await runPlan(
      { ...common, bpm: common.bpm ?? input.bpm, loops, description: `humanize ${input.file}` },
      { score: true, groove: false, accent: false },
    );
  },
};
