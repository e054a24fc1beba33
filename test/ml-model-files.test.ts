import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { currentSetFile, ModelFileError, readModelFiles, writeModelFiles } from '../firmware-ts/ml/model-io.js';
import { initBackend, tf } from '../firmware-ts/ml/runtime.js';
import { GrooveModel } from '../firmware-ts/model/generator.js';
import { initParams } from '../firmware-ts/model/params.js';
import { tempDir, tinyConfig } from './helpers/tiny-models.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the edits below write wrong types on purpose, so the JSON has none
type UntypedJson = any;

/** Rewrites a JSON file through `edit` (which may mutate and return nothing, or return a replacement). */
function editJson(file: string, edit: (json: UntypedJson) => unknown): void {
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  const replaced = edit(json);
  fs.writeFileSync(file, JSON.stringify(replaced === undefined ? json : replaced));
}

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
    for (const [name, t] of files.tensors)
      expect(Array.from(t.dataSync()), name).to.deep.equal(Array.from(params.get(name)!.dataSync()));
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
    expectModelFileError(
      () => GrooveModel.load(dir),
      path.join(dir, 'manifest.json'),
      /weight dec\.init0\.W has shape \d+x32, config\.json needs \d+x48/,
    );
  });

  it('a config for another model (fewer factors) is caught as a mismatch, not loaded half-way', () => {
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(tinyConfig('ag2')));
    expectModelFileError(
      () => GrooveModel.load(dir),
      path.join(dir, 'manifest.json'),
      /weight enc0\.fw\.Wx missing: config\.json does not match the weights/,
    );
  });

  it('an invalid config.json (bad key value, broken JSON) names config.json and the key', () => {
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ ...config, decoder: { ...config.decoder, layers: 0 } }));
    expectModelFileError(() => GrooveModel.load(dir), file, /decoder\.layers = 0/);
    fs.writeFileSync(file, '{"name": "ag11",');
    expectModelFileError(() => GrooveModel.load(dir), file, /invalid JSON/);
  });

  it('a manifest that is not ours (another format, JSON null, a list) names manifest.json', () => {
    const file = path.join(dir, 'manifest.json');
    for (const text of [JSON.stringify({ format: 'something-else' }), 'null', '[]', '"weights"']) {
      fs.writeFileSync(file, text);
      expectModelFileError(() => GrooveModel.load(dir), file, /not a groovebox model manifest/);
    }
  });

  it('a manifest weight entry without a name or a valid shape names manifest.json, the entry and what was expected', () => {
    const file = path.join(dir, 'manifest.json');
    const original = fs.readFileSync(file, 'utf8');
    // Entry 2 is enc0.mu.W (the MLP encoder's hidden layer comes first).
    const broken: [(w: UntypedJson[]) => void, RegExp][] = [
      [
        (w) => {
          delete w[2].shape;
        },
        /weights\[2\] \(enc0\.mu\.W\): shape = undefined: expected a list of whole numbers >= 0/,
      ],
      [
        (w) => {
          w[2].shape = [-8, 2];
        },
        /weights\[2\] \(enc0\.mu\.W\): shape = \[-8,2\]/,
      ],
      [
        (w) => {
          w[2].shape = [2.5, 2];
        },
        /weights\[2\] \(enc0\.mu\.W\): shape = \[2\.5,2\]/,
      ],
      [
        (w) => {
          w[2].shape = '8x2';
        },
        /weights\[2\] \(enc0\.mu\.W\): shape = "8x2"/,
      ],
      [
        (w) => {
          delete w[5].name;
        },
        /weights\[5\] = \{"shape":\[\d+(,\d+)*\]\}: expected \{"name"/,
      ],
      [
        (w) => {
          w[5].name = 7;
        },
        /weights\[5\] = \{"name":7,/,
      ],
      [
        (w) => {
          w[0] = null;
        },
        /weights\[0\] = null: expected/,
      ],
      [
        (w) => {
          w[3].name = w[2].name;
        },
        /weights\[3\] \(enc0\.mu\.W\): listed twice/,
      ],
    ];
    for (const [edit, reason] of broken) {
      fs.writeFileSync(file, original);
      editJson(file, (m) => {
        edit(m.weights);
      });
      expectModelFileError(() => readModelFiles(dir), file, reason);
      expectModelFileError(() => GrooveModel.load(dir), file, reason);
    }
  });

  it('weights the config does not use are an error naming the first one (skip: false on a skip model, auxiliary: false)', () => {
    const skipDir = path.join(tmp.dir, 'ag11-skip');
    const skipConfig = tinyConfig('ag11', { skip: true });
    const params = initParams(skipConfig, 1);
    writeModelFiles(skipDir, skipConfig, params);
    tf.dispose([...params.values()]);
    editJson(path.join(skipDir, 'config.json'), (c) => {
      c.decoder.skip = false;
    });
    expectModelFileError(
      () => GrooveModel.load(skipDir),
      path.join(skipDir, 'manifest.json'),
      /weight dec\.skip\.W is not used by config\.json/,
    );
    editJson(path.join(dir, 'config.json'), (c) => {
      c.factors[0].auxiliary = false;
    });
    expectModelFileError(
      () => GrooveModel.load(dir),
      path.join(dir, 'manifest.json'),
      /weight aux0\.h\.W is not used by config\.json/,
    );
  });

  it('skip, auxiliary, dropProbability, inputDropout, lstmInputDropout and timingWeight of the wrong type or range name config.json and the key', () => {
    const file = path.join(dir, 'config.json');
    const original = fs.readFileSync(file, 'utf8');
    const broken: [(c: UntypedJson) => void, RegExp][] = [
      [
        (c) => {
          c.decoder.skip = 'yes';
        },
        /decoder\.skip = "yes": expected true or false/,
      ],
      [
        (c) => {
          c.train.lstmInputDropout = 1;
        },
        /train\.lstmInputDropout = 1: expected a number from 0 to below 1/,
      ],
      [
        (c) => {
          c.factors[1].auxiliary = 1;
        },
        /factors\[1\]\.auxiliary = 1: expected true or false/,
      ],
      [
        (c) => {
          delete c.factors[1].auxiliary;
        },
        /factors\[1\]\.auxiliary = undefined/,
      ],
      [
        (c) => {
          c.factors[2].dropProbability = 1.5;
        },
        /factors\[2\]\.dropProbability = 1\.5: expected a number from 0/,
      ],
      [
        (c) => {
          c.factors[2].dropProbability = '0.3';
        },
        /factors\[2\]\.dropProbability = "0\.3"/,
      ],
      [
        (c) => {
          c.factors[2].dropProbability = -0.1;
        },
        /factors\[2\]\.dropProbability = -0\.1/,
      ],
      [
        (c) => {
          c.factors[3] = null;
        },
        /factors\[3\] = null: expected an object/,
      ],
      [
        (c) => {
          c.decoder.inputDropout = 1;
        },
        /decoder\.inputDropout = 1: expected a number from 0 to below 1/,
      ],
      [
        (c) => {
          c.loss.timingWeight = 0;
        },
        /loss\.timingWeight = 0: expected a number from 0\.001 to 1000/,
      ],
    ];
    for (const [edit, reason] of broken) {
      fs.writeFileSync(file, original);
      editJson(file, edit);
      expectModelFileError(() => GrooveModel.load(dir), file, reason);
    }
  });

  it('a failed load leaves no tensor behind, whatever the fault', () => {
    const manifestFile = path.join(dir, 'manifest.json');
    const configFile = path.join(dir, 'config.json');
    const weightsFile = path.join(dir, 'weights.bin');
    const faults: [string, () => void][] = [
      ['weights.bin missing', () => fs.rmSync(weightsFile)],
      [
        'weights.bin corrupt',
        () => {
          const b = fs.readFileSync(weightsFile);
          b[100] ^= 0x40;
          fs.writeFileSync(weightsFile, b);
        },
      ],
      ['weights.bin truncated', () => fs.writeFileSync(weightsFile, fs.readFileSync(weightsFile).subarray(0, 64))],
      [
        'a weight runs past the end',
        () =>
          editJson(manifestFile, (m) => {
            m.weights.at(-1).shape = [1000, 1000];
          }),
      ],
      [
        'the weights list covers part of weights.bin',
        () =>
          editJson(manifestFile, (m) => {
            m.weights.at(-1).shape = [1];
          }),
      ],
      [
        'a bad manifest entry',
        () =>
          editJson(manifestFile, (m) => {
            m.weights.at(-1).shape = [-1];
          }),
      ],
      [
        'an invalid config',
        () =>
          editJson(configFile, (c) => {
            c.decoder.layers = 0;
          }),
      ],
      [
        'a config with other shapes',
        () =>
          editJson(configFile, (c) => {
            c.decoder.units = 24;
          }),
      ],
      ['a config with weights missing', () => fs.writeFileSync(configFile, JSON.stringify(tinyConfig('ag2')))],
      [
        'a config that leaves weights unused',
        () =>
          editJson(configFile, (c) => {
            c.factors[0].auxiliary = false;
          }),
      ],
    ];
    const pristine = new Map(
      ['config.json', 'manifest.json', 'weights.bin'].map((f) => [f, fs.readFileSync(path.join(dir, f))]),
    );
    for (const [fault, apply] of faults) {
      for (const [f, bytes] of pristine) fs.writeFileSync(path.join(dir, f), bytes);
      apply();
      const before = tf.memory().numTensors;
      expect(() => GrooveModel.load(dir), fault).to.throw(ModelFileError);
      expect(tf.memory().numTensors, `${fault}: tensors left by GrooveModel.load`).to.equal(before);
      try {
        tf.dispose([...readModelFiles(dir).tensors.values()]);
      } catch {
        // readModelFiles does not know configs; where it fails, it must leak nothing either.
      }
      expect(tf.memory().numTensors, `${fault}: tensors left by readModelFiles`).to.equal(before);
    }
  });
});

describe('ml: model files are replaced as one set (a kill at any point leaves the old set or the new)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let dir: string;
  // Sets that differ in every file (shapes too), so any mix of two of them shows.
  const SETS = {
    old: { config: tinyConfig('ag11'), seed: 1, state: '{"set": "old"}' },
    new: { config: tinyConfig('ag11', { decoderUnits: 24 }), seed: 2, state: '{"set": "new"}' },
  };
  type SetName = keyof typeof SETS;
  // The writer's order: every file as .next (manifest last), then the renames (manifest last).
  const FILES = ['weights.bin', 'config.json', 'state.json', 'manifest.json'];
  const bytes: Record<SetName, Map<string, Buffer>> = { old: new Map(), new: new Map() };
  const sha: Partial<Record<SetName, string>> = {};

  before(async () => {
    await initBackend();
    const scratch = tempDir('sets');
    for (const name of ['old', 'new'] as const) {
      const { config, seed, state } = SETS[name];
      const params = initParams(config, seed);
      sha[name] = writeModelFiles(path.join(scratch.dir, name), config, params, {}, { 'state.json': state }).sha256;
      tf.dispose([...params.values()]);
      for (const f of FILES) bytes[name].set(f, fs.readFileSync(path.join(scratch.dir, name, f)));
    }
    scratch.remove();
  });

  beforeEach(() => {
    tmp = tempDir('set');
    dir = path.join(tmp.dir, 'ag11');
    fs.mkdirSync(path.join(dir, 'checkpoint'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'train-log.csv'), 'epoch\n');
    for (const f of FILES) fs.writeFileSync(path.join(dir, f), bytes.old.get(f)!);
  });

  afterEach(() => tmp.remove());

  /** Reads the folder (checking the read wrote nothing) and says which set it holds. */
  function readSet(): SetName {
    const listing = fs.readdirSync(dir).sort();
    const files = readModelFiles(dir);
    tf.dispose([...files.tensors.values()]);
    const state = fs.readFileSync(currentSetFile(dir, 'state.json'), 'utf8');
    expect(fs.readdirSync(dir).sort(), 'reading changes nothing').to.deep.equal(listing);
    const name = files.manifest.sha256 === sha.old ? 'old' : 'new';
    expect(files.manifest.sha256).to.equal(sha[name]);
    expect(files.config, `config.json of the ${name} set`).to.deep.equal(SETS[name].config);
    expect(state, `state.json of the ${name} set`).to.equal(SETS[name].state);
    return name;
  }

  /** The next write (weights and config only) finishes a pending set or drops an interrupted one, then leaves a clean folder. */
  function expectNextWriteRepairs(stateOfSet: SetName): void {
    const config = tinyConfig('ag11', { decoderUnits: 20 });
    const params = initParams(config, 3);
    const written = writeModelFiles(dir, config, params);
    tf.dispose([...params.values()]);
    expect(fs.readdirSync(dir).sort()).to.deep.equal([
      'checkpoint',
      'config.json',
      'manifest.json',
      'state.json',
      'train-log.csv',
      'weights.bin',
    ]);
    const files = readModelFiles(dir);
    tf.dispose([...files.tensors.values()]);
    expect(files.manifest.sha256).to.equal(written.sha256);
    expect(files.config).to.deep.equal(config);
    // state.json was not in this write: it is the one of the set the crash left.
    expect(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')).to.equal(SETS[stateOfSet].state);
  }

  it('killed while writing the .next files: the old set, until manifest.json.next is there', () => {
    for (let written = 0; written <= FILES.length; written++) {
      for (const f of fs.readdirSync(dir)) if (f.endsWith('.next')) fs.rmSync(path.join(dir, f));
      for (const f of FILES) fs.writeFileSync(path.join(dir, f), bytes.old.get(f)!);
      for (const f of FILES.slice(0, written)) fs.writeFileSync(path.join(dir, `${f}.next`), bytes.new.get(f)!);
      // A temp file of the next .next write, cut off by the kill.
      if (written < FILES.length) fs.writeFileSync(path.join(dir, `${FILES[written]}.next.tmp-1-1`), 'partial');
      const expected = written === FILES.length ? 'new' : 'old';
      expect(readSet(), `${written} of ${FILES.length} .next files written`).to.equal(expected);
      expectNextWriteRepairs(expected);
    }
  });

  it('killed while renaming: the new set, whichever files were renamed so far', () => {
    const others = FILES.filter((f) => f !== 'manifest.json');
    // Every subset of the other renames (the order among them does not matter), then the manifest's.
    for (let renamed = 0; renamed <= 1 << others.length; renamed++) {
      for (const f of FILES) fs.writeFileSync(path.join(dir, f), bytes.old.get(f)!);
      for (const f of FILES) fs.writeFileSync(path.join(dir, `${f}.next`), bytes.new.get(f)!);
      const all = renamed === 1 << others.length;
      for (const [k, f] of others.entries())
        if (all || renamed & (1 << k)) fs.renameSync(path.join(dir, `${f}.next`), path.join(dir, f));
      if (all) fs.renameSync(path.join(dir, 'manifest.json.next'), path.join(dir, 'manifest.json'));
      expect(
        readSet(),
        all ? 'all renamed' : `renamed: ${others.filter((_, k) => renamed & (1 << k)).join(', ') || 'none'}`,
      ).to.equal('new');
      expectNextWriteRepairs('new');
    }
  });
});
