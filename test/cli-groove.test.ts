import { expect } from 'chai';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderTaps, type SyntheticTap } from '../firmware-ts/devices/microphone/synthetic-taps.js';
import { readPatterns } from '../firmware-ts/midi-file/read.js';
import { readPerformance } from '../firmware-ts/midi-file/performance.js';
import { encodeWav } from '../firmware-ts/outputs/audio/wav.js';
import { PROJECT_ROOT } from '../firmware-ts/paths.js';

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

describe('cli: groove --from-wav', () => {
  let dir: string;
  const bpm = 120;
  const step = 60 / bpm / 4;
  // Three bars: a tap on the first sample, a pushed and a dragged one, a double stroke, and a soft one in bar 3 (a second groove).
  const truth: SyntheticTap[] = [
    { time: 0, amplitude: 0.6, sound: 'clap' },
    { time: 4 * step - 0.02, amplitude: 0.3, sound: 'knock' },
    { time: 8 * step + 0.015, amplitude: 0.6, sound: 'click' },
    { time: 12 * step, amplitude: 0.5, sound: 'click' },
    { time: 12 * step + 0.03, amplitude: 0.5, sound: 'click' },
    { time: 36 * step, amplitude: 0.1, sound: 'clap' },
  ];
  const duration = 48 * step;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groove-'));
    fs.writeFileSync(path.join(dir, 'taps.wav'), encodeWav([renderTaps(truth, duration, 44100)], 44100));
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes one note per onset at its time (time 0 = the WAV start) and prints each 2 bars as a groove', async () => {
    const out = path.join(dir, 'out', 'groove.mid');
    const run = await groovebox([
      'groove',
      '--from-wav',
      path.join(dir, 'taps.wav'),
      '--bpm',
      String(bpm),
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.match(/6 onsets -> .*groove\.mid \(2 grooves of 2 bars at 120 bpm\)/);
    const bytes = new Uint8Array(fs.readFileSync(out));
    const notes = readPerformance(bytes, out).notes;
    expect(notes.map((n) => n.time)).to.have.length(truth.length);
    notes.forEach((note, k) => expect(note.time, `note ${k}`).to.be.closeTo(truth[k].time, 0.005));
    expect(notes.every((n) => n.pitch === 37 && n.channel === 9)).to.equal(true);
    // The loudest tap is full velocity; the soft one is softer.
    expect(Math.max(...notes.map((n) => n.velocity))).to.equal(127);
    expect(notes[5].velocity).to.be.below(notes[0].velocity);
    // The file reads back as two whole loops (the second holds the bar-3 tap).
    expect(readPatterns(bytes, out)).to.have.length(2);
    const lines = run.stdout.trim().split('\n');
    expect(lines).to.have.length(2);
    expect(lines[0]).to.match(/^bars 1-2 .* 5 taps$/);
    expect(lines[1]).to.match(/^bars 3-4 .* 1 tap$/);
  });

  it('--json gives the onsets and the grooves as the tap recorder quantizes them', async () => {
    const out = path.join(dir, 'json.mid');
    const run = await groovebox([
      'groove',
      '--from-wav',
      path.join(dir, 'taps.wav'),
      '--bpm',
      String(bpm),
      '--out',
      out,
      '--json',
      '--latency',
      '2',
    ]);
    expect(run.code, run.stderr).to.equal(0);
    const report = JSON.parse(run.stdout) as {
      onsets: { time: number }[];
      grooves: { hits: number[]; offsets: number[] }[];
    };
    report.onsets.forEach((o, k) => expect(o.time).to.be.closeTo(truth[k].time - 0.002, 0.005));
    const hits = report.grooves[0].hits.flatMap((h, s) => (h ? [s] : []));
    expect(hits).to.deep.equal([0, 4, 8, 12]);
    expect(report.grooves[0].offsets[4]).to.be.below(0); // pushed
    expect(report.grooves[0].offsets[8]).to.be.above(0); // dragged
    expect(report.grooves[1].hits.flatMap((h, s) => (h ? [s] : []))).to.deep.equal([4]);
  });

  it('says what is wrong in one line', async () => {
    const bad = path.join(dir, 'bad.wav');
    fs.writeFileSync(bad, 'not audio, just text');
    for (const [args, pattern] of [
      [
        ['--from-wav', bad, '--bpm', '120', '--out', path.join(dir, 'x.mid')],
        /bad\.wav: not a WAV file \(expected "RIFF"/,
      ],
      [
        ['--from-wav', path.join(dir, 'taps.wav'), '--out', path.join(dir, 'x.mid')],
        /--bpm: the tempo of the recording is required/,
      ],
      [
        ['--from-wav', path.join(dir, 'taps.wav'), '--bpm', 'fast', '--out', path.join(dir, 'x.mid')],
        /--bpm: expected a number in 20\.\.400, got "fast"/,
      ],
      [['--bpm', '100', '--out', path.join(dir, 'x.mid')], /--from-wav: the recording to read is required/],
    ] as const) {
      const run = await groovebox(['groove', ...args]);
      expect(run.code).to.not.equal(0);
      expect(run.stderr.trim().split('\n'), run.stderr).to.have.length(1);
      expect(run.stderr).to.match(pattern);
    }
  });
});
