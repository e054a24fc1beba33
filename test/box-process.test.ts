import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from '../firmware-ts/box/slots.js';
import { tempDir } from './helpers/box-fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const MAIN = path.resolve(here, '..', 'firmware-ts', 'cli', 'main.js');

function start(args: string[]) {
  return spawnSync(process.execPath, [MAIN, 'start', ...args], { encoding: 'utf8', timeout: 30000 });
}

describe('box: the start command as a process', () => {
  // A failed expectation must not leave a box running behind the test run.
  let running: ChildProcess | undefined;
  afterEach(() => {
    if (running && running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
    running = undefined;
  });

  it('an invalid config exits non-zero with one line naming the file, key and value', () => {
    const dir = tempDir('groovebox-cfg-');
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ midi: { noteLength: -1 } }));
    const run = start(['--config', file, '--port', '0']);
    expect(run.status).to.equal(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.equal(`groovebox: ${file}: midi.noteLength = -1: expected a number in 0.001..10`);

    const flag = start(['--config', file, '--port', 'eighty']);
    expect(flag.status).to.equal(2);
    expect(flag.stderr).to.include('--port: expected a number in 0..65535, got "eighty"');
  });

  it('SIGTERM while playing (and a second signal on its heels, as Ctrl-C under npm gives): exits 0 within 1 s with the working state saved', async () => {
    const dir = tempDir('groovebox-run-');
    // No model folder here: the box boots fast as a plain step sequencer, which is all this test needs.
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        modelsDir: path.join(dir, 'no-models'),
        stateDir: path.join(dir, 'state'),
        autoplay: true,
        audio: { enabled: false },
      }),
    );
    const child = spawn(process.execPath, [MAIN, 'start', '--config', config, '--port', '0', '--simulate'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    running = child;
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (/ready in \d+ ms/.test(out)) resolve();
      });
      void exited.then((code) => reject(new Error(`exited ${code} before ready: ${out}${err}`)));
    });
    expect(out).to.match(
      /ready in \d+ ms \(no model \(ag11s\): plain step sequencer, outputs open: .*\); panel at http:\/\/127\.0\.0\.1:\d+\//,
    );
    expect(err).to.include('model ag11s not loaded');
    const t0 = performance.now();
    child.kill('SIGTERM');
    child.kill('SIGINT');
    const code = await exited;
    const ms = performance.now() - t0;
    expect(code, out + err).to.equal(0);
    expect(ms).to.be.below(1000);
    // Either signal may be handled first; the second is ignored.
    expect(out)
      .to.match(/(SIGTERM|SIGINT): stopping/)
      .and.match(/stopped in \d+ ms/);
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'state', 'current.json'), 'utf8'));
    expect(decode(saved, 'current.json').bpm).to.equal(120);
  });
});
