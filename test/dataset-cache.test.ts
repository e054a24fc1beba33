import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheFolder, datasetHash, loadCache } from '../firmware-ts/dataset/cache.js';
import { readPatterns } from '../firmware-ts/midi-file/read.js';
import { PATTERN_TENSOR_SIZE, tensorDataToPattern } from '../firmware-ts/pattern/tensor-layout.js';
import { fixture } from './helpers/fixtures.js';
import { longFile, makeTinyDataset } from './helpers/tiny-dataset.js';

describe('dataset: binary cache', () => {
  let dir: string;
  let cache: string;
  const saved = process.env.GROOVEBOX_CACHE;
  before(() => {
    dir = makeTinyDataset();
    // A private cache folder: never the project's .cache/ that training uses.
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-cache-'));
    process.env.GROOVEBOX_CACHE = cache;
  });
  after(() => {
    if (saved === undefined) delete process.env.GROOVEBOX_CACHE;
    else process.env.GROOVEBOX_CACHE = saved;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(cache, { recursive: true, force: true });
  });

  const load = () => {
    const log: string[] = [];
    const result = loadCache(dir, (m) => log.push(m));
    return { result, built: log.some((m) => m.includes('building')) };
  };

  it('builds on first use, into GROOVEBOX_CACHE, with the windows the scan finds', () => {
    const { result, built } = load();
    expect(built).to.equal(true);
    expect(cacheFolder()).to.equal(path.join(cache, 'dataset'));
    expect(fs.readdirSync(cacheFolder()).sort()).to.deep.equal([
      'index.json',
      `test-${result.hash}.f32`,
      `train-${result.hash}.f32`,
      `validation-${result.hash}.f32`,
    ]);
    expect(result.splits.train.count).to.equal(6);
    expect(result.splits.validation.count).to.equal(0);
    expect(result.splits.test.count).to.equal(1);
    expect(result.splits.train.data.length).to.equal(6 * PATTERN_TENSOR_SIZE);
    expect(result.splits.train.meta[0]).to.deep.equal({
      file: 'a/groove.mid',
      bar: 0,
      style: 'funk',
      beatType: 'beat',
      drummer: 'drummer1',
    });
    // The stored tensor decodes to the pattern the MIDI reader gives for that file.
    const fromCache = tensorDataToPattern(result.splits.train.data, 0);
    const fromFile = readPatterns(fixture('groove.mid'), 'groove.mid')[0];
    expect(fromCache.toJSON()).to.deep.equal(fromFile.toJSON());
  });

  it('loads without rebuilding while nothing changed, with the same contents', () => {
    const first = load().result;
    const again = load();
    expect(again.built).to.equal(false);
    expect(again.result.hash).to.equal(first.hash);
    expect(Array.from(again.result.splits.train.data)).to.deep.equal(Array.from(first.splits.train.data));
    expect(again.result.splits.test.meta).to.deep.equal(first.splits.test.meta);
  });

  it('rebuilds when a dataset file changes (its hash changes) and drops the stale files', () => {
    const before = load().result;
    fs.writeFileSync(path.join(dir, 'a', 'long.mid'), longFile(2, 100)); // 4 bars: 3 windows instead of 5
    expect(datasetHash(dir)).not.to.equal(before.hash);
    const after = load();
    expect(after.built).to.equal(true);
    expect(after.result.hash).to.equal(datasetHash(dir));
    expect(after.result.splits.train.count).to.equal(4);
    expect(fs.readdirSync(cacheFolder()).filter((f) => f.includes(before.hash))).to.deep.equal([]);
    expect(load().built).to.equal(false);
  });

  it('rebuilds when a cache file is damaged', () => {
    const { result } = load();
    fs.truncateSync(path.join(cacheFolder(), `train-${result.hash}.f32`), 100);
    const again = load();
    expect(again.built).to.equal(true);
    expect(again.result.splits.train.data.length).to.equal(result.splits.train.data.length);
  });
});
