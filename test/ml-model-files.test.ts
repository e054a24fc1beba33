import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { ModelFileError, readModelFiles, writeModelFiles } from '../firmware-ts/ml/model-io.js';
import { initBackend, tf } from '../firmware-ts/ml/runtime.js';
import { GrooveModel } from '../firmware-ts/model/generator.js';
import { initParams } from '../firmware-ts/model/params.js';
import { tempDir, tinyConfig } from './helpers/tiny-models.js';

/** Expects `fn` to throw one ModelFileError naming `file`, on one line. */
function expectModelFileError(fn: () => unknown, file: string, reason: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'an error').to.be.instanceOf(ModelFileError);
  const err = caught as ModelFileError;
  expect(err.file).to.equal(file);
  expect(err.message.startsWith(`${file}: `), err.message).to.equal(true);
  expect(err.message).to.match(reason);
  expect(err.message, 'one line').to.not.include('\n');
}

describe('ml: model files on disk', () => {
  let tmp: ReturnType<typeof tempDir>;
  let dir: string;
  const config = tinyConfig('ag11');

  before(async () => {
    await initBackend();
  });

  beforeEach(() => {
    tmp = tempDir('files');
    dir = path.join(tmp.dir, 'ag11');
    const params = initParams(config, 1);
    writeModelFiles(dir, config, params, { model: 'ag11', epochs: 3 });
    tf.dispose([...params.values()]);
  });

  afterEach(() => tmp.remove());

  it('round trip: every weight comes back bit for bit, the manifest keeps what the writer added', () => {
    const params = initParams(config, 1);
    const files = readModelFiles(dir);
    expect(files.manifest.epochs).to.equal(3);
    expect([...files.tensors.keys()]).to.deep.equal([...params.keys()]);
    for (const [name, t] of files.tensors) expect(Array.from(t.dataSync()), name).to.deep.equal(Array.from(params.get(name)!.dataSync()));
    tf.dispose([...params.values(), ...files.tensors.values()]);
  });

  it('a missing model folder names the folder', () => {
    const missing = path.join(tmp.dir, 'nope');
    expectModelFileError(() => GrooveModel.load(missing), missing, /model folder not found/);
  });

  it('a missing weights.bin names weights.bin', () => {
    fs.rmSync(path.join(dir, 'weights.bin'));
    expectModelFileError(() => GrooveModel.load(dir), path.join(dir, 'weights.bin'), /missing/);
  });

  it('a corrupt weights.bin (one byte changed) fails the checksum and names weights.bin', () => {
    const file = path.join(dir, 'weights.bin');
    const bytes = fs.readFileSync(file);
    bytes[100] ^= 0x40;
    fs.writeFileSync(file, bytes);
    expectModelFileError(() => GrooveModel.load(dir), file, /checksum/);
  });

  it('a truncated weights.bin names weights.bin and both sizes', () => {
    const file = path.join(dir, 'weights.bin');
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 64));
    expectModelFileError(() => GrooveModel.load(dir), file, new RegExp(`${bytes.length - 64} bytes.*${bytes.length}`));
  });

  it('a config that does not match the weights (other decoder width) names the weight and its shapes', () => {
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ ...config, decoder: { ...config.decoder, units: 24 } }));
    expectModelFileError(() => GrooveModel.load(dir), path.join(dir, 'manifest.json'), /weight dec\.init0\.W has shape \d+x32, config\.json needs \d+x48/);
  });

  it('a config for another model (fewer factors) is caught as a mismatch, not loaded half-way', () => {
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(tinyConfig('ag2')));
    expectModelFileError(() => GrooveModel.load(dir), path.join(dir, 'manifest.json'), /weight enc0\.fw\.Wx missing: config\.json does not match the weights/);
  });

  it('an invalid config.json (bad key value, broken JSON) names config.json and the key', () => {
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ ...config, decoder: { ...config.decoder, layers: 0 } }));
    expectModelFileError(() => GrooveModel.load(dir), file, /decoder\.layers = 0/);
    fs.writeFileSync(file, '{"name": "ag11",');
    expectModelFileError(() => GrooveModel.load(dir), file, /invalid JSON/);
  });

  it('a manifest that is not ours names manifest.json', () => {
    const file = path.join(dir, 'manifest.json');
    fs.writeFileSync(file, JSON.stringify({ format: 'something-else' }));
    expectModelFileError(() => GrooveModel.load(dir), file, /not a groovebox model manifest/);
  });
});
