import fs from 'node:fs';
import path from 'node:path';
import { readPatterns, readPatternsRepeatingOneBar } from '../../midi-file/read.js';
import { readPerformance } from '../../midi-file/performance.js';
import { patternsToMidi } from '../../midi-file/write.js';
import { initBackend } from '../../ml/runtime.js';
import { BOX_DEFAULT_MODEL, MODEL_NAMES, isModelName, type ModelName } from '../../model/config.js';
import { GrooveModel, type GenerateOptions, type Reconstructions } from '../../model/generator.js';
import { drumRow, type Gestures } from '../../pattern/gesture-layout.js';
import { DRUMS, DRUM_COUNT, drumIndexOfName } from '../../pattern/drums.js';
import { accent, groove, score } from '../../pattern/gestures.js';
import { Pattern, STEPS } from '../../pattern/pattern.js';
import { MODELS_DIR } from '../../paths.js';
import { UsageError, numberOption, stringOption, type Command, integerOption, backendOption } from '../command.js';

/**
 * `groovebox generate` and its two GrooVAE-task shortcuts (humanize, drumify): the
 * paper's interaction with MIDI files. Input files are cut into 2-bar 4/4 windows;
 * one loop is generated per window, and the loops are written one after the other.
 */

/** A file the user named that cannot be used: one line, naming the file. */
export class InputFileError extends Error {
  override name = 'InputFileError';
}

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** Options shared by generate, humanize and drumify. */
export const COMMON_OPTIONS = {
  model: { type: 'string' },
  'models-dir': { type: 'string' },
  seed: { type: 'string' },
  temperature: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  bpm: { type: 'string' },
  backend: { type: 'string' },
  free: { type: 'boolean' },
} as const;

export const COMMON_USAGE = `  --model NAME        ${MODEL_NAMES.join('|')} (default ${BOX_DEFAULT_MODEL})
  --models-dir DIR    folder holding the model folders (default models/)
  --seed N            random seed (default: a new one, printed on stderr)
  --temperature T     spread of the prior samples for what is not given (default 1)
  --out FILE          the MIDI file to write (required)
  --bpm B             tempo of the written file (default: the first input file's tempo, else 120)
  --json              also print the loops and the model's reconstructions of the given gestures as JSON
  --free              let the model reinterpret the given drums (by default their hits are played exactly
                      as given, and the model writes how to play them and the drums left to it)
  --backend B         tensorflow|wasm|cpu (default: best available)`;

/** An input MIDI file as its 2-bar windows (every 2 bars in turn). */
export interface InputFile {
  file: string;
  patterns: Pattern[];
  bpm: number;
}

/** `repeatOneBar`: a file of one bar is played in both bars (said on stderr) instead of refused. */
export function readInput(option: string, file: string, repeatOneBar = false): InputFile {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(fs.readFileSync(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputFileError(
      `${option === 'input' ? '' : `--${option} `}${file}: ${code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? (err as Error).message})`}`,
    );
  }
  // readPatterns refuses non-4/4 files, files without drum notes and files shorter than 2 bars, naming the file.
  const { patterns, repeated } = repeatOneBar
    ? readPatternsRepeatingOneBar(bytes, file)
    : { patterns: readPatterns(bytes, file), repeated: false };
  if (repeated) process.stderr.write(`groovebox: --${option} ${file}: one bar long; it is repeated in bar 2\n`);
  return { file, patterns, bpm: readPerformance(bytes, file).bpm };
}

export function parseDrumList(option: string, raw: string): number[] {
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0)
    throw new UsageError(`--${option}: expected drum names separated by commas (${DRUMS.join(', ')}), got "${raw}"`);
  return names.map((name) => {
    const index = drumIndexOfName(name);
    if (index < 0) throw new UsageError(`--${option}: unknown drum "${name}" (expected ${DRUMS.join(', ')})`);
    return index;
  });
}

export interface Plan {
  modelName: ModelName;
  modelDir: string;
  out: string;
  seed: number;
  temperature: number;
  /** Play the given drums' hits exactly (GenerateOptions.keepGiven); false with --free. */
  keepGiven: boolean;
  bpm: number;
  json: boolean;
  backend?: string;
  /** Gestures of each loop to generate. */
  loops: Gestures[];
  /** What was given, for the report on stderr. */
  description: string;
}

export function commonPlan(
  values: Values,
  defaultModel: ModelName = BOX_DEFAULT_MODEL,
): Omit<Plan, 'loops' | 'description' | 'bpm'> & { bpm?: number } {
  const modelName = stringOption(values, 'model') ?? defaultModel;
  if (!isModelName(modelName))
    throw new UsageError(`--model: expected one of ${MODEL_NAMES.join(', ')}, got "${modelName}"`);
  const out = stringOption(values, 'out');
  if (!out) throw new UsageError('--out: the MIDI file to write is required (e.g. --out loop.mid)');
  const seed =
    values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : integerOption(values, 'seed', 0, 0, 2 ** 32 - 1);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed: expected a whole number, got "${values.seed}"`);
  return {
    modelName,
    modelDir: path.join(path.resolve(stringOption(values, 'models-dir') ?? MODELS_DIR), modelName),
    out,
    seed,
    temperature: numberOption(values, 'temperature', 1, 0, 10),
    keepGiven: !values.free,
    bpm: values.bpm === undefined ? undefined : numberOption(values, 'bpm', 120, 20, 400),
    json: Boolean(values.json),
    backend: backendOption(values),
  };
}

/** Windows of the inputs, loop by loop: the longest input sets the count, shorter ones repeat. */
export function loopCount(inputs: InputFile[]): number {
  return Math.max(1, ...inputs.map((i) => i.patterns.length));
}

export function describeInputs(inputs: InputFile[], log: (m: string) => void): void {
  const n = loopCount(inputs);
  if (n > 1) {
    const files = inputs.map((i) => `${i.file} (${i.patterns.length * 2} bars)`).join(', ');
    log(`groovebox: ${files}: generating ${n} loops, one for every 2 bars in turn`);
  }
}

const rowOf = (pattern: Pattern, drum: number) =>
  Float32Array.from({ length: STEPS }, (_, s) => (pattern.hit(s, drum) ? 1 : 0));

/** Checks that the model has an input for every gesture given (e.g. the baseline reads only a score). */
export function checkModelInputs(
  model: GrooveModel,
  given: { score: boolean; groove: boolean; accent: boolean },
): void {
  const inputs = new Set<string>(model.config.factors.map((f) => (f.input.startsWith('drum') ? 'score' : f.input)));
  for (const [gesture, isGiven] of Object.entries(given)) {
    if (isGiven && !inputs.has(gesture)) {
      throw new UsageError(
        `--model ${model.name}: this model has no ${gesture} input (it reads: ${[...inputs].join(', ')})`,
      );
    }
  }
}

/** Generates every loop and writes the MIDI file (and the JSON on stdout when asked). */
export async function runPlan(plan: Plan, given: { score: boolean; groove: boolean; accent: boolean }): Promise<void> {
  const log = (m: string) => process.stderr.write(`${m}\n`);
  await initBackend(plan.backend);
  const model = GrooveModel.load(plan.modelDir);
  try {
    checkModelInputs(model, given);
    const options: GenerateOptions = { seed: plan.seed, temperature: plan.temperature, keepGiven: plan.keepGiven };
    const results = plan.loops.map((gestures, k) => model.generate(gestures, { ...options, seed: plan.seed + k }));
    const bytes = patternsToMidi(
      results.map((r) => r.pattern),
      { bpm: plan.bpm },
    );
    fs.mkdirSync(path.dirname(path.resolve(plan.out)), { recursive: true });
    fs.writeFileSync(plan.out, bytes);
    const hits = results.reduce((n, r) => n + r.pattern.hitCount(), 0);
    log(
      `groovebox: ${plan.modelName}, seed ${plan.seed}${plan.description ? `, ${plan.description}` : ''}: wrote ${results.length} loop${results.length === 1 ? '' : 's'} (${hits} notes, ${plan.bpm} bpm) to ${plan.out}`,
    );
    if (plan.json) {
      const loops = results.map((r, k) => ({
        seed: plan.seed + k,
        pattern: r.pattern.toJSON(),
        reconstructions: reconstructionsJSON(r.reconstructions),
      }));
      process.stdout.write(
        JSON.stringify({
          model: plan.modelName,
          seed: plan.seed,
          temperature: plan.temperature,
          bpm: plan.bpm,
          out: plan.out,
          loops,
        }) + '\n',
      );
    }
  } finally {
    model.dispose();
  }
}

const r3 = (a: Float32Array) => Array.from(a, (v) => Math.round(v * 1000) / 1000);

/** The auxiliary reconstructions keyed by drum name: probabilities per step, the groove's velocity/offset. */
export function reconstructionsJSON(r: Reconstructions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (r.score) out.score = Object.fromEntries(DRUMS.map((name, d) => [name, r3(drumRow(r.score!, d))]));
  if (r.drums) out.drums = Object.fromEntries(r.drums.flatMap((row, d) => (row ? [[DRUMS[d], r3(row)]] : [])));
  if (r.groove)
    out.groove = { hits: r3(r.groove.hits), velocities: r3(r.groove.velocities), offsets: r3(r.groove.offsets) };
  if (r.accent) out.accent = r3(r.accent);
  return out;
}

export const generateCommand: Command = {
  name: 'generate',
  summary: "A 2-bar loop from gestures in MIDI files: per-drum scores, a groove, accents (the paper's interaction)",
  usage: `groovebox generate [--score s.mid [--drums kick,snare,...]] [--empty crash,...] [--groove taps.mid] [--accent a.mid] --out loop.mid
  --score FILE        a drum part whose hits are the score (2 bars of 4/4; one bar plays in both bars;
                      longer files: every 2 bars in turn)
  --drums LIST        the drums of --score that are given (default: all nine); the others are left to the model
  --empty LIST        drums given as explicitly silent (the model will not play them)
  --groove FILE       any performance; squashed to one voice (loudest hit per 16th with its velocity and timing)
  --accent FILE       a performance whose loud notes (1 std above each drum's mean) are the accents
${COMMON_USAGE}
Drums: ${DRUMS.join(', ')} (also kick/bd, snare/sd, hh/hat, oh, ...)`,
  options: {
    ...COMMON_OPTIONS,
    score: { type: 'string' },
    drums: { type: 'string' },
    empty: { type: 'string' },
    groove: { type: 'string' },
    accent: { type: 'string' },
  },
  async run({ values }) {
    const common = commonPlan(values);
    const scoreFile = stringOption(values, 'score');
    const drumsRaw = stringOption(values, 'drums');
    if (drumsRaw !== undefined && !scoreFile)
      throw new UsageError('--drums: names the drums of --score to give; --score is missing');
    const named = drumsRaw !== undefined ? parseDrumList('drums', drumsRaw) : scoreFile ? DRUMS.map((_, d) => d) : [];
    const empty = values.empty !== undefined ? parseDrumList('empty', stringOption(values, 'empty')!) : [];
    const both = empty.find((d) => named.includes(d));
    if (both !== undefined) throw new UsageError(`--empty ${DRUMS[both]}: the drum is also given by --drums`);
    const groovePath = stringOption(values, 'groove');
    const accentPath = stringOption(values, 'accent');

    const scoreIn = scoreFile ? readInput('score', scoreFile, true) : null;
    const grooveIn = groovePath ? readInput('groove', groovePath) : null;
    const accentIn = accentPath ? readInput('accent', accentPath) : null;
    const inputs = [scoreIn, grooveIn, accentIn].filter((i): i is InputFile => i !== null);
    describeInputs(inputs, (m) => process.stderr.write(`${m}\n`));
    const count = loopCount(inputs);
    const loops: Gestures[] = [];
    for (let k = 0; k < count; k++) {
      const g: Gestures = {};
      if (scoreIn || empty.length > 0) {
        const drums: (Float32Array | null)[] = new Array(DRUM_COUNT).fill(null);
        if (scoreIn) {
          const p = scoreIn.patterns[k % scoreIn.patterns.length];
          for (const d of named) drums[d] = rowOf(p, d);
          // A full score for models that read the score as one input: the named drums' hits.
          if (named.length === DRUM_COUNT) g.score = score(p);
        }
        for (const d of empty) drums[d] = new Float32Array(STEPS);
        g.drums = drums;
      }
      if (grooveIn) g.groove = groove(grooveIn.patterns[k % grooveIn.patterns.length]);
      if (accentIn) g.accent = accent(accentIn.patterns[k % accentIn.patterns.length]);
      loops.push(g);
    }
    const givenDrums = [...named.map((d) => DRUMS[d]), ...empty.map((d) => `${DRUMS[d]} (empty)`)];
    const description =
      [givenDrums.length ? `drums ${givenDrums.join(', ')}` : '', grooveIn ? 'groove' : '', accentIn ? 'accent' : '']
        .filter(Boolean)
        .join(', ') || 'nothing given (all from the prior)';
    await runPlan(
      { ...common, bpm: common.bpm ?? inputs[0]?.bpm ?? 120, loops, description },
      { score: Boolean(scoreIn) || empty.length > 0, groove: Boolean(grooveIn), accent: Boolean(accentIn) },
    );
  },
};
