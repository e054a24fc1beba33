import { readFileSync, writeFileSync } from 'node:fs';
import { renderPattern } from '../../outputs/audio/render.js';
import { Pattern } from '../../pattern/pattern.js';
import { jsonErrorText } from '../../storage/json-error.js';
import type { Command } from '../command.js';
import { numberOption, stringOption, UsageError, integerOption } from '../command.js';

/** A two-bar rock beat with a little push and drag, for when no pattern file is given. */
function demoPattern(): Pattern {
  const p = new Pattern();
  for (let s = 0; s < 32; s += 2) p.set(s, 2, s % 4 === 0 ? 0.8 : 0.5, 0.1);
  for (const s of [0, 6, 10, 16, 22, 26]) p.set(s, 0, 0.95, 0);
  for (const s of [4, 12, 20, 28]) p.set(s, 1, 0.9, 0.25);
  p.set(15, 1, 0.3, -0.2).set(31, 3, 0.7, 0);
  return p;
}

export const soundRender: Command = {
  name: 'sound render',
  summary: 'Renders a 2-bar pattern through the built-in drum kit to a WAV file (offline, no sound card needed)',
  usage: `groovebox sound render --out FILE.wav [--pattern FILE.json] [--bpm BPM] [--loops N] [--rate HZ]
  --out FILE        WAV file to write (16-bit mono)
  --pattern FILE    pattern JSON ({"notes": [[step, drum, velocity, offset], ...]}); default: a demo beat
  --bpm BPM         tempo, default 120
  --loops N         how many times the loop plays, default 2
  --rate HZ         sample rate, default 44100`,
  options: {
    out: { type: 'string' },
    pattern: { type: 'string' },
    bpm: { type: 'string' },
    loops: { type: 'string' },
    rate: { type: 'string' },
  },
  async run({ values }) {
    const out = stringOption(values, 'out');
    if (!out) throw new UsageError('--out: expected a WAV file path');
    const file = stringOption(values, 'pattern');
    const pattern = file ? Pattern.fromJSON(readPatternJson(file), file) : demoPattern();
    const rendered = await renderPattern(pattern, {
      bpm: numberOption(values, 'bpm', 120, 40, 240),
      loops: integerOption(values, 'loops', 2, 1, 64),
      sampleRate: integerOption(values, 'rate', 44100, 8000, 192000),
    });
    writeFileSync(out, rendered.wav);
    process.stdout.write(
      `${out}: ${rendered.notes.length} hits, ${(rendered.channels[0].length / rendered.sampleRate).toFixed(2)} s\n`,
    );
  },
};

/** The pattern file's JSON, or one line naming the file and what is wrong with it. */
function readPatternJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `--pattern ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--pattern ${file}: not valid JSON (${jsonErrorText(err)})`);
  }
}
