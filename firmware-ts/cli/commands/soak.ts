import path from 'node:path';
import { BOX_MODELS, isBoxModel } from '../../box/config.js';
import { soak } from '../../diagnostics/soak.js';
import { BOX_DEFAULT_MODEL } from '../../model/config.js';
import { MODELS_DIR } from '../../paths.js';
import { numberOption, stringOption, UsageError, type Command } from '../command.js';

export const soakCommand: Command = {
  name: 'soak',
  summary:
    'Runs the whole box in simulation, generating every bar, and reports memory, tensors, stalls and MIDI timing',
  usage: `groovebox soak [--minutes M] [--model NAME] [--bpm B] [--models-dir DIR] [--no-audio] [--witness] [--json]
  --minutes M       how long (default 5; the stage figure is 120)
  --model NAME      model to generate with: ${BOX_MODELS.join(', ')} (default ${BOX_DEFAULT_MODEL})
  --bpm B           tempo (default 120: a new loop every 2 s)
  --models-dir DIR  folder with the model folders (default models/)
  --no-audio        leave the audio kit out (isolates the model and MIDI path)
  --witness         tell stalls over 5 ms apart: the timing thread's own GC, or the
                    machine (an idle thread at the same priority held too);
                    it fills the timing thread's old generation ~0.2 MB/min
                    faster itself (freed by full collections)
  --json            print one JSON object`,
  options: {
    minutes: { type: 'string' },
    model: { type: 'string' },
    bpm: { type: 'string' },
    'models-dir': { type: 'string' },
    'no-audio': { type: 'boolean' },
    witness: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run({ values }) {
    const model = stringOption(values, 'model') ?? BOX_DEFAULT_MODEL;
    if (!isBoxModel(model)) throw new UsageError(`--model: expected one of ${BOX_MODELS.join(', ')}, got "${model}"`);
    const result = await soak({
      minutes: numberOption(values, 'minutes', 5, 0.1, 24 * 60),
      bpm: numberOption(values, 'bpm', 120, 40, 240),
      model,
      audio: !values['no-audio'],
      witness: values.witness === true,
      modelsDir: path.resolve(stringOption(values, 'models-dir') ?? MODELS_DIR),
      log: (m) => process.stderr.write(m + '\n'),
    });
    if (values.json) {
      process.stdout.write(JSON.stringify(result) + '\n');
      return;
    }
    const t = result.midiTiming;
    const w = result.stallWitness;
    const startedHrMs = result.startedHrMs;
    process.stdout.write(
      `soak ${result.minutes} min${result.audio ? '' : ' (no audio)'}, ${result.generations} generations, ${result.sends} MIDI messages\n` +
        `  RSS ${result.rssStartMB} -> ${result.rssEndMB} MB (+${result.rssGrowthMB} MB after warm-up), worker tensors +${result.tensorGrowth}\n` +
        `  timing thread: max stall ${result.maxStallMs} ms, p99 ${result.p99StallMs} ms\n` +
        `  MIDI |sent - due|: first minute p50 ${t.first.p50_ms} / p99 ${t.first.p99_ms} ms, last minute p50 ${t.last.p50_ms} / p99 ${t.last.p99_ms} ms\n` +
        (result.audioClockDriftPpm === null
          ? ''
          : `  audio clock against the sequencer's: ${result.audioClockDriftPpm} ppm\n`) +
        (result.audioCollections === null
          ? ''
          : `  main thread's full collections for audio memory: ${result.audioCollections.runs}, longest ${result.audioCollections.longestMs} ms\n`) +
        (w === null
          ? ''
          : `  stalls over ${w.thresholdMs} ms: ${w.stalls} in ${w.windowsJudged} windows (${w.windowsUnjudged} without the timing thread's witness); ` +
            `covered by its own GC ${w.gc} (longest ${w.longestMs.gc} ms), by the idle thread held too ${w.machine} (${w.longestMs.machine} ms), ` +
            `both ${w.both} (${w.longestMs.both} ms), neither ${w.unexplained} (${w.longestMs.unexplained} ms)\n` +
            `  witnesses: idle thread (SCHED_FIFO ${w.idleThreadRealtime ?? 'none'}) held over 2 ms ${w.idleThreadGaps} times; ` +
            `timing-thread GC pauses ${w.gcPauses}, longest ${w.longestGcPauseMs} ms; records over capacity ${w.dropped}\n` +
            w.worst
              .map(
                (s) =>
                  `  worst: ${s.ms} ms at ${((s.from - startedHrMs) / 60000).toFixed(1)} min, ${s.kind} (GC ${s.gcMs} ms, idle thread held ${s.idleMs} ms)\n`,
              )
              .join('')),
    );
  },
};
