import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KeptFile } from '../firmware-ts/storage/kept-file.js';

describe('storage: a kept file (a performer\u2019s choice in a small file)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-kept-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads null when nothing is kept yet, and the last of several writes is the one kept', async () => {
    const kept = new KeptFile(path.join(dir, 'choice.json'));
    expect(await kept.read()).to.equal(null);
    const failures: Error[] = [];
    for (const n of [1, 2, 3]) kept.write(`{"n":${n}}`, (e) => failures.push(e));
    await kept.settled();
    expect(failures).to.deep.equal([]);
    expect(await kept.read()).to.equal('{"n":3}');
  });

  it('sets a refused file aside, never over an earlier one, and the next write finds the name free', async () => {
    const file = path.join(dir, 'choice.json');
    const kept = new KeptFile(file);
    fs.writeFileSync(file, 'first bad');
    expect(await kept.setAside()).to.equal(`kept as ${file}.corrupt`);
    fs.writeFileSync(file, 'second bad');
    expect(await kept.setAside()).to.equal(`kept as ${file}.corrupt-1`);
    kept.write('{"good":true}', (e) => {
      throw e;
    });
    await kept.settled();
    expect(fs.readFileSync(file, 'utf8')).to.equal('{"good":true}');
    expect(fs.readFileSync(`${file}.corrupt`, 'utf8')).to.equal('first bad');
    expect(fs.readFileSync(`${file}.corrupt-1`, 'utf8')).to.equal('second bad');
  });

  it('says why a file could not be set aside instead of throwing', async () => {
    const kept = new KeptFile(path.join(dir, 'gone.json'));
    expect(await kept.setAside()).to.match(/^could not be set aside \(ENOENT/);
  });
});
