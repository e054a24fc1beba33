import { groove } from '../../pattern/gestures.js';
import type { Gestures } from '../../pattern/gesture-layout.js';
import { UsageError, type Command } from '../command.js';
import { COMMON_OPTIONS, COMMON_USAGE, commonPlan, describeInputs, readInput, runPlan } from './generate.js';

/**
 * GrooVAE's "drumify" with our models: a groove (any performance, squashed to
 * one voice) is given, what to play comes from the prior.
 */
export const drumifyCommand: Command = {
  name: 'drumify',
  summary:
    'Turns a tapped rhythm (any performance) into a drum loop with its feel (groove given, score from the model)',
  usage: `groovebox drumify taps.mid --out out.mid [options]
  taps.mid            any performance on drum pitches in 4/4 (longer files: every 2 bars in turn)
${COMMON_USAGE}`,
  options: { ...COMMON_OPTIONS },
  positionals: true,
  async run({ values, positionals }) {
    if (positionals.length !== 1)
      throw new UsageError(
        `groovebox drumify: expected one input MIDI file, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`,
      );
    const common = commonPlan(values);
    const input = readInput('input', positionals[0]);
    describeInputs([input], (m) => process.stderr.write(`${m}\n`));
    const loops: Gestures[] = input.patterns.map((p) => ({ groove: groove(p) }));
    await runPlan(
      { ...common, bpm: common.bpm ?? input.bpm, loops, description: `drumify ${input.file}` },
      { score: false, groove: true, accent: false },
    );
  },
};
