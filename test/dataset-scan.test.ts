import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatasetError, readInfo } from '../firmware-ts/dataset/info.js';
import { scanDataset } from '../firmware-ts/dataset/scan.js';
import { PROJECT_ROOT } from '../firmware-ts/paths.js';
import { makeTinyDataset } from './helpers/tiny-dataset.js';

const CLI = path.join(PROJECT_ROOT, 'dist', 'firmware-ts', 'cli', 'main.js');

/** Runs the CLI; returns exit code, stdout and stderr. */
function groovebox(...args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [CLI, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('dataset: scan of a tiny dataset', () => {
  let dir: string;
  before(() => {
    dir = makeTinyDataset();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('counts files and windows per split and skips a bad file with a warning', () => {
    const warnings: string[] = [];
    const { stats, patterns } = scanDataset(dir, { keepPatterns: true, warn: (m) => warnings.push(m) });
    expect(stats.files).to.deep.equal({ train: 2, validation: 1, test: 1, total: 5, fourFour: 3, skipped: 1 });
    expect(stats.windows).to.deep.equal({ train: 6, validation: 0, test: 1 });
    expect(stats.emptyWindows).to.deep.equal({ train: 0, validation: 0, test: 0 });
    expect(patterns.train.map((p) => [p.meta.file, p.meta.bar])).to.deep.equal([
      ['a/groove.mid', 0],
      ['a/long.mid', 0],
      ['a/long.mid', 1],
      ['a/long.mid', 2],
      ['a/long.mid', 3],
      ['a/long.mid', 4],
    ]);
    expect(stats.beatType).to.deep.equal({ beat: 3, fill: 1 });
    expect(stats.styles).to.deep.equal({ funk: 2, rock: 1, jazz: 1 });
    expect(stats.skippedFiles).to.have.length(1);
    expect(stats.skippedFiles[0].file).to.equal('c/broken.mid');
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(
      /^groovebox:dataset skipped .*c\/broken\.mid: corrupt MIDI file \(track 1 chunk length \d+ runs past the end of the file \(70 bytes\)\)$/,
    );
  });

  it('prints the stats JSON shape the acceptance checks read', () => {
    const { code, stdout } = groovebox('dataset', 'stats', '--json', '--data', dir);
    expect(code).to.equal(0);
    const json = JSON.parse(stdout);
    expect(json).to.include.keys('windows', 'emptyWindows', 'windowsAllSignatures', 'files');
    expect(json.windows).to.deep.equal({ train: 6, validation: 0, test: 1 });
  });
});

describe('dataset: bad folders give one line naming the path', () => {
  it('a missing dataset folder', () => {
    const missing = path.join(os.tmpdir(), 'groovebox-no-such-folder');
    expect(() => readInfo(missing)).to.throw(
      DatasetError,
      `${missing}: dataset folder not found (set --data DIR or GROOVEBOX_DATA; see README "Getting the dataset")`,
    );
    const { code, stderr } = groovebox('dataset', 'stats', '--data', missing);
    expect(code).to.equal(1);
    expect(stderr).to.equal(
      `groovebox: ${missing}: dataset folder not found (set --data DIR or GROOVEBOX_DATA; see README "Getting the dataset")\n`,
    );
  });

  it('a folder without info.csv', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-empty-'));
    try {
      const file = path.join(empty, 'info.csv');
      expect(() => readInfo(empty)).to.throw(DatasetError, `${file}: missing info.csv`);
      const { code, stderr } = groovebox('dataset', 'stats', '--json', '--data', empty);
      expect(code).to.equal(1);
      expect(stderr.trim().split('\n')).to.have.length(1);
      expect(stderr).to.include(`${file}: missing info.csv`);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it('an info.csv row with a bad value names the line, the column and the value', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-badcsv-'));
    try {
      const file = path.join(dir, 'info.csv');
      fs.writeFileSync(
        file,
        'drummer,session,id,style,bpm,beat_type,time_signature,midi_filename,audio_filename,duration,split\nd1,s,i,funk/1,fast,beat,4-4,x.mid,x.wav,1,train\n',
      );
      expect(() => readInfo(dir)).to.throw(DatasetError, `${file}:2: bpm "fast" is not a positive number`);
      fs.writeFileSync(file, 'drummer,id,style,bpm\nd1,i,funk,120\n');
      expect(() => readInfo(dir)).to.throw(DatasetError, `${file}: header has no "beat_type" column`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
