import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../firmware-ts/paths.js';

/**
 * Runs scripts/train-all.sh in a scratch copy of the project with `npm` and
 * `node` replaced by stand-ins that only record their arguments: what the
 * script would train, and where, without training anything.
 */
function dryRun(env: Record<string, string>): { calls: string[]; root: string } {
  const { status, stderr, calls, root } = run(env);
  expect(status, stderr).to.equal(0);
  return { calls, root };
}

function run(env: Record<string, string>): { status: number | null; stderr: string; calls: string[]; root: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-train-all-'));
  const bin = path.join(root, 'bin');
  fs.mkdirSync(path.join(root, 'scripts'));
  fs.mkdirSync(bin);
  fs.copyFileSync(path.join(PROJECT_ROOT, 'scripts', 'train-all.sh'), path.join(root, 'scripts', 'train-all.sh'));
  const calls = path.join(root, 'calls');
  for (const tool of ['npm', 'node']) {
    fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> "${calls}"\n`, { mode: 0o755 });
  }
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => name !== 'MODELS_OUT' && !name.endsWith('_EPOCHS') && !name.endsWith('_MINUTES'),
    ),
  );
  const result = spawnSync('bash', [path.join(root, 'scripts', 'train-all.sh')], {
    env: { ...inherited, ...env, PATH: `${bin}:${process.env.PATH}` },
    encoding: 'utf8',
  });
  const recorded = fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trim().split('\n').sort() : [];
  return { status: result.status, stderr: result.stderr, calls: recorded, root };
}

describe('scripts/train-all.sh', () => {
  const roots: string[] = [];
  after(() => {
    for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
  });

  it('trains into MODELS_OUT, from scratch there, and leaves the shipped models/ alone', () => {
    const { calls, root } = dryRun({ MODELS_OUT: 'retrained', AG2_EPOCHS: '120' });
    roots.push(root);
    const train = (name: string, epochs: number): string =>
      `node dist/firmware-ts/cli/main.js train --model ${name} --epochs ${epochs} --minutes 43200 --threads 1 --resume --out retrained/${name}`;
    expect(calls).to.deep.equal(
      ['npm run -s build', train('ag11', 24), train('ag2', 120), train('baseline', 47), train('fvae2', 47)].sort(),
    );
    for (const name of ['ag11', 'ag2', 'baseline', 'fvae2'])
      expect(fs.existsSync(path.join(root, 'retrained', name, 'train.log')), name).to.equal(true);
    expect(fs.existsSync(path.join(root, 'models')), 'models/ touched').to.equal(false);
  });

  it('a budget in minutes (the old variables) or not a whole number of epochs is refused in one line, nothing run', () => {
    for (const [env, message] of [
      [
        { AG2_MINUTES: '180' },
        'train-all.sh: AG2_MINUTES=180: budgets are epochs now; set AG2_EPOCHS (docs/models.md)',
      ],
      [{ AG11_EPOCHS: '57.8' }, 'train-all.sh: AG11_EPOCHS=57.8: expected a whole number of epochs, 1 or more'],
    ] as const) {
      const refused = run(env);
      roots.push(refused.root);
      expect([refused.status, refused.stderr.trim(), refused.calls]).to.deep.equal([2, message, []]);
    }
  });

  it('without MODELS_OUT, resumes the shipped models in models/', () => {
    const { calls, root } = dryRun({});
    roots.push(root);
    expect(calls.filter((c) => c.includes('--model ag11'))).to.deep.equal([
      'node dist/firmware-ts/cli/main.js train --model ag11 --epochs 24 --minutes 43200 --threads 1 --resume --out models/ag11',
    ]);
  });
});
