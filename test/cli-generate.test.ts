import { expect } from 'chai';
import midiFile from 'midi-file';
import type { MidiData } from 'midi-file';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { writeModelFiles } from '../firmware-ts/ml/model-io.js';
import { initBackend, tf } from '../firmware-ts/ml/runtime.js';
import { readPatterns } from '../firmware-ts/midi-file/read.js';
import { patternsToMidi } from '../firmware-ts/midi-file/write.js';
import { BOX_DEFAULT_MODEL } from '../firmware-ts/model/config.js';
import { PROJECT_ROOT } from '../firmware-ts/paths.js';
import { Pattern, STEPS } from '../firmware-ts/pattern/pattern.js';
import { FIXTURES_DIR } from './helpers/fixtures.js';
import { handfulOfPatterns, tempDir, trainTiny, writeTinyModel } from './helpers/tiny-models.js';

const CLI = path.join(PROJECT_ROOT, 'dist', 'firmware-ts', 'cli', 'main.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function groovebox(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: PROJECT_ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Exit code != 0 and exactly one line on stderr that matches. */
function expectOneLineError(run: Run, pattern: RegExp): void {
  expect(run.code, run.stderr).to.not.equal(0);
  const lines = run.stderr.trim().split('\n');
  expect(lines, run.stderr).to.have.length(1);
  expect(lines[0]).to.match(pattern);
}

const fixture = (name: string) => path.join(FIXTURES_DIR, name);

describe('cli: generate, humanize, drumify on MIDI files', function () {
  let tmp: ReturnType<typeof tempDir>;
  let models: string;
  let scoreFile: string;
  let longFile: string;
  // The beat the score file holds: kick on 0, 8 and 10 of each bar, snare on 4 and 12.
  const beat: Pattern = handfulOfPatterns()[1];

  before(async () => {
    await initBackend();
    tmp = tempDir('cli');
    models = path.join(tmp.dir, 'models');
    // Trained long enough (on beats that all share this kick/snare) to play the given drums back.
    const { config, params } = trainTiny(BOX_DEFAULT_MODEL, 100, { learningRate: 3e-2 });
    writeModelFiles(path.join(models, BOX_DEFAULT_MODEL), config, params);
    tf.dispose([...params.values()]);
    writeTinyModel(models, 'baseline', { steps: 2 });
    scoreFile = path.join(tmp.dir, 'score.mid');
    fs.writeFileSync(scoreFile, patternsToMidi(beat, { bpm: 100 }));
    longFile = path.join(tmp.dir, 'long.mid');
    fs.writeFileSync(longFile, patternsToMidi([beat, handfulOfPatterns()[2], beat]));
  });

  after(() => tmp.remove());

  it("generate --score --drums kick,snare --empty crash: a parsable 2-bar file holding the given drums' hits", async () => {
    const out = path.join(tmp.dir, 'loop.mid');
    const run = await groovebox([
      'generate',
      '--score',
      scoreFile,
      '--drums',
      'kick,snare',
      '--empty',
      'crash',
      '--seed',
      '1',
      '--models-dir',
      models,
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.match(/seed 1, drums kick, snare, crash \(empty\): wrote 1 loop/);
    const loops = readPatterns(new Uint8Array(fs.readFileSync(out)), out);
    expect(loops).to.have.length(1);
    const [loop] = loops;
    for (const [drum, name] of [
      [0, 'kick'],
      [1, 'snare'],
    ] as const) {
      const given = Array.from({ length: STEPS }, (_, s) => s).filter((s) => beat.hit(s, drum));
      const played = given.filter((s) => loop.hit(s, drum));
      expect(played.length, `${name}: given on ${given.join(' ')}, played on ${played.join(' ')}`).to.be.at.least(
        Math.ceil(given.length / 2),
      );
    }
    for (let s = 0; s < STEPS; s++) expect(loop.hit(s, 7), `crash given as empty, played on step ${s}`).to.equal(false);
    // Same seed, same file.
    const again = path.join(tmp.dir, 'again.mid');
    await groovebox([
      'generate',
      '--score',
      scoreFile,
      '--drums',
      'kick,snare',
      '--empty',
      'crash',
      '--seed',
      '1',
      '--models-dir',
      models,
      '--out',
      again,
    ]);
    expect(fs.readFileSync(again).equals(fs.readFileSync(out))).to.equal(true);
  });

  it('--json prints the loop and the reconstructions of exactly the given inputs', async () => {
    const out = path.join(tmp.dir, 'json.mid');
    const run = await groovebox([
      'generate',
      '--score',
      scoreFile,
      '--drums',
      'kick',
      '--empty',
      'crash',
      '--groove',
      fixture('groove.mid'),
      '--seed',
      '2',
      '--models-dir',
      models,
      '--out',
      out,
      '--json',
    ]);
    expect(run.code, run.stderr).to.equal(0);
    const json = JSON.parse(run.stdout);
    expect(json).to.include({ model: BOX_DEFAULT_MODEL, seed: 2 });
    expect(json.loops).to.have.length(1);
    expect(json.loops[0].pattern.notes).to.be.an('array');
    const r = json.loops[0].reconstructions;
    expect(Object.keys(r.drums)).to.deep.equal(['kick', 'crash']);
    expect(r.drums.kick).to.have.length(STEPS);
    expect(r.groove.hits).to.have.length(STEPS);
    expect(r).to.not.have.property('accent');
  });

  it('a longer file: one loop for every 2 bars, said on stderr', async () => {
    const out = path.join(tmp.dir, 'long-out.mid');
    const run = await groovebox(['generate', '--score', longFile, '--seed', '3', '--models-dir', models, '--out', out]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.match(/6 bars\): generating 3 loops, one for every 2 bars in turn/);
    expect(readPatterns(new Uint8Array(fs.readFileSync(out)), out)).to.have.length(3);
  });

  it('generate --score with a one-bar file: the bar plays in both bars, said in one line on stderr', async () => {
    const oneBar = path.join(tmp.dir, 'one-bar.mid');
    fs.writeFileSync(oneBar, oneBarOfKickAndSnare());
    const out = path.join(tmp.dir, 'one-bar-out.mid');
    const run = await groovebox([
      'generate',
      '--score',
      oneBar,
      '--drums',
      'kick,snare',
      '--seed',
      '4',
      '--models-dir',
      models,
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).to.equal(0);
    const said = run.stderr
      .trim()
      .split('\n')
      .filter((line) => /one bar long/.test(line));
    expect(said).to.deep.equal([`groovebox: --score ${oneBar}: one bar long; it is repeated in bar 2`]);
    const [loop] = readPatterns(new Uint8Array(fs.readFileSync(out)), out);
    // keepGiven (the default) plays the given hits exactly: the bar's kick and snare, in both bars.
    const steps = (drum: number) => Array.from({ length: STEPS }, (_, s) => s).filter((s) => loop.hit(s, drum));
    expect(steps(0)).to.deep.equal([0, 8, 10, 16, 24, 26]);
    expect(steps(1)).to.deep.equal([4, 12, 20, 28]);
  });

  it('a one-bar --groove is still refused in one line (only a score repeats)', async () => {
    const oneBar = path.join(tmp.dir, 'one-bar-groove.mid');
    fs.writeFileSync(oneBar, oneBarOfKickAndSnare());
    const run = await groovebox([
      'generate',
      '--groove',
      oneBar,
      '--models-dir',
      models,
      '--out',
      path.join(tmp.dir, 'x.mid'),
    ]);
    expectOneLineError(run, /one-bar-groove\.mid: 1 bar long: a pattern needs 2 bars of 4\/4$/);
  });

  it("humanize keeps to the score's drums; drumify plays from a groove", async () => {
    const humanized = path.join(tmp.dir, 'humanized.mid');
    const h = await groovebox(['humanize', scoreFile, '--seed', '4', '--models-dir', models, '--out', humanized]);
    expect(h.code, h.stderr).to.equal(0);
    const [loop] = readPatterns(new Uint8Array(fs.readFileSync(humanized)), humanized);
    for (let s = 0; s < STEPS; s++) {
      for (const drum of [3, 4, 5, 6, 7])
        expect(loop.hit(s, drum), `drum ${drum} is silent in the score, played on step ${s}`).to.equal(false);
    }
    const drumified = path.join(tmp.dir, 'drumified.mid');
    const d = await groovebox([
      'drumify',
      fixture('groove.mid'),
      '--seed',
      '5',
      '--models-dir',
      models,
      '--out',
      drumified,
    ]);
    expect(d.code, d.stderr).to.equal(0);
    expect(readPatterns(new Uint8Array(fs.readFileSync(drumified)), drumified)).to.have.length(1);
  });

  it('a 3/4 file: one line naming the file and the signature', async () => {
    const run = await groovebox([
      'generate',
      '--score',
      fixture('three-four.mid'),
      '--models-dir',
      models,
      '--out',
      path.join(tmp.dir, 'x.mid'),
    ]);
    expectOneLineError(run, /three-four\.mid: time signature 3\/4 .*only 4\/4/);
  });

  it('a file without drum notes: one line naming the file', async () => {
    const run = await groovebox([
      'drumify',
      fixture('no-drums.mid'),
      '--models-dir',
      models,
      '--out',
      path.join(tmp.dir, 'x.mid'),
    ]);
    expectOneLineError(run, /no-drums\.mid: no drum notes/);
  });

  it('a missing input file, an unknown drum, a missing --out, a model without that input, a missing model: one line each', async () => {
    expectOneLineError(
      await groovebox(['humanize', path.join(tmp.dir, 'nope.mid'), '--models-dir', models, '--out', 'x.mid']),
      /nope\.mid: file not found/,
    );
    expectOneLineError(
      await groovebox([
        'generate',
        '--score',
        scoreFile,
        '--drums',
        'kick,cowbell',
        '--models-dir',
        models,
        '--out',
        'x.mid',
      ]),
      /--drums: unknown drum "cowbell"/,
    );
    expectOneLineError(
      await groovebox(['generate', '--score', scoreFile, '--models-dir', models]),
      /--out: the MIDI file to write is required/,
    );
    expectOneLineError(
      await groovebox([
        'drumify',
        fixture('groove.mid'),
        '--model',
        'baseline',
        '--models-dir',
        models,
        '--out',
        path.join(tmp.dir, 'x.mid'),
      ]),
      /--model baseline: this model has no groove input/,
    );
    expectOneLineError(
      await groovebox(['generate', '--model', 'ag2', '--models-dir', models, '--out', path.join(tmp.dir, 'x.mid')]),
      /ag2: model folder not found/,
    );
  });

  it('sound render with a pattern file that is not JSON (a newline inside the fault): one line naming the file', async () => {
    const bad = path.join(tmp.dir, 'pattern.json');
    fs.writeFileSync(bad, '{"notes": [\n tru\n]}');
    expectOneLineError(
      await groovebox(['sound', 'render', '--pattern', bad, '--out', path.join(tmp.dir, 'x.wav')]),
      new RegExp(`--pattern ${bad}: not valid JSON`),
    );
    expectOneLineError(
      await groovebox([
        'sound',
        'render',
        '--pattern',
        path.join(tmp.dir, 'none.json'),
        '--out',
        path.join(tmp.dir, 'x.wav'),
      ]),
      /none\.json: cannot read it \(ENOENT\)/,
    );
  });
});

/** One bar of 4/4 at 120 BPM: kick on 1, 3 and the "and" of 3, snare on 2 and 4 (steps 0, 8, 10 and 4, 12). */
function oneBarOfKickAndSnare(): Uint8Array {
  const PPQ = 480;
  const notes: [number, number][] = [
    [0, 36],
    [2 * PPQ, 36],
    [2.5 * PPQ, 36],
    [PPQ, 38],
    [3 * PPQ, 38],
  ];
  const events: { tick: number; event: Record<string, unknown> }[] = [];
  for (const [tick, noteNumber] of notes) {
    events.push({ tick, event: { type: 'noteOn', channel: 9, noteNumber, velocity: 100 } });
    events.push({ tick: tick + PPQ / 8, event: { type: 'noteOff', channel: 9, noteNumber, velocity: 0 } });
  }
  events.sort((a, b) => a.tick - b.tick);
  let last = 0;
  const track = [
    { deltaTime: 0, meta: true, type: 'setTempo', microsecondsPerBeat: 500000 },
    ...events.map(({ tick, event }) => {
      const deltaTime = tick - last;
      last = tick;
      return { deltaTime, ...event };
    }),
    { deltaTime: 4 * PPQ - last, meta: true, type: 'endOfTrack' },
  ];
  return Uint8Array.from(
    midiFile.writeMidi({
      header: { format: 0, numTracks: 1, ticksPerBeat: PPQ },
      tracks: [track],
    } as unknown as MidiData),
  );
}
