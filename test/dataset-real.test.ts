import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { datasetDir, PROJECT_ROOT } from '../firmware-ts/paths.js';

// The published numbers this pipeline must reproduce (see docs/data-pipeline.md).
const WINDOWS = { train: 17551, validation: 2113, test: 2204 };
const EMPTY_WINDOWS = { train: 1055, validation: 52, test: 129 };
const EMPTY_PATTERNS = { train: 1053, validation: 52, test: 128 };
const ALL_SIGNATURES = { train: 18163, validation: 2252, test: 2204 };
const FILES = { train: 897, validation: 124, test: 129 };

describe('dataset: the real Groove MIDI Dataset', () => {
  const dir = datasetDir();

  before(function () {
    if (fs.existsSync(path.join(dir, 'info.csv'))) return;
    if (process.env.GROOVEBOX_REQUIRE_DATA === '1') {
      throw new Error(
        `GROOVEBOX_REQUIRE_DATA=1 but the Groove MIDI Dataset is missing: ${path.join(dir, 'info.csv')} not found`,
      );
    }
    console.log(
      `    (skipped: no Groove MIDI Dataset at ${dir}; set GROOVEBOX_DATA, see README "Getting the dataset")`,
    );
    this.skip();
  });

  it('gives the published window counts through `groovebox dataset stats --json`', function () {
    const stdout = execFileSync(
      process.execPath,
      [path.join(PROJECT_ROOT, 'dist', 'firmware-ts', 'cli', 'main.js'), 'dataset', 'stats', '--json', '--data', dir],
      { encoding: 'utf8' },
    );
    const stats = JSON.parse(stdout);
    expect(stats.windows).to.deep.equal(WINDOWS);
    expect(stats.emptyWindows).to.deep.equal(EMPTY_WINDOWS);
    expect(stats.emptyPatterns).to.deep.equal(EMPTY_PATTERNS);
    expect(stats.windowsAllSignatures).to.deep.equal(ALL_SIGNATURES);
    expect(stats.files).to.include({ ...FILES, total: 1150, skipped: 0 });
  });
});
