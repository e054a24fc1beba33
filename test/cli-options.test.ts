import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import {
  backendOption,
  integerOption,
  numberOption,
  parseCommandArgs,
  UsageError,
} from '../firmware-ts/cli/command.js';
import { generateCommand } from '../firmware-ts/cli/commands/generate.js';
import { experimentConfig, trainCommand } from '../firmware-ts/cli/commands/train.js';
import { MODEL_CONFIGS } from '../firmware-ts/model/config.js';

describe('cli: option values', () => {
  it('a blank number (an unset shell variable) is refused by name, not read as 0', () => {
    expect(() => numberOption({ port: '' }, 'port', 8080, 0, 65535)).to.throw(
      UsageError,
      /--port: expected a number in 0\.\.65535, got ""/,
    );
    expect(() => numberOption({ seed: '  ' }, 'seed', 1, 0)).to.throw(UsageError, /--seed/);
    expect(numberOption({ temperature: '0.5' }, 'temperature', 1, 0, 10)).to.equal(0.5);
    expect(numberOption({}, 'temperature', 1, 0, 10)).to.equal(1);
  });

  it('counts, ports and seeds are whole numbers', () => {
    expect(() => integerOption({ port: '80.5' }, 'port', 8080, 0, 65535)).to.throw(
      UsageError,
      /--port: expected a whole number in 0\.\.65535, got "80\.5"/,
    );
    expect(integerOption({ port: '8081' }, 'port', 8080, 0, 65535)).to.equal(8081);
  });

  it('--backend is checked before any backend starts: one line naming the flag', () => {
    expect(() => backendOption({ backend: 'gpu' })).to.throw(
      UsageError,
      /--backend: expected one of tensorflow, wasm, cpu, got "gpu"/,
    );
    expect(backendOption({ backend: 'wasm' })).to.equal('wasm');
    expect(backendOption({})).to.equal(undefined);
  });

  it('a flag the command does not know, a stray argument, a missing or unwanted value: the command named once, and its --help', () => {
    const problem = (argv: string[]): string => {
      try {
        parseCommandArgs(generateCommand, argv);
      } catch (err) {
        expect(err).to.be.instanceOf(UsageError);
        return (err as Error).message;
      }
      throw new Error(`${argv.join(' ')} was accepted`);
    };
    expect(problem(['--scroe', 'x.mid'])).to.equal('generate: unknown option --scroe (see groovebox generate --help)');
    expect(problem(['loop.mid'])).to.equal(
      'generate: unexpected argument "loop.mid": this command takes only options (see groovebox generate --help)',
    );
    expect(problem(['--out'])).to.equal('generate: --out: a value is missing (see groovebox generate --help)');
    expect(problem(['--json=yes'])).to.equal('generate: --json takes no value (see groovebox generate --help)');
    for (const argv of [['--scroe'], ['loop.mid'], ['--out']])
      expect(problem(argv)).to.not.match(/groovebox.*groovebox generate:|positional/);
  });
});

describe('cli: train experiments', () => {
  // Were a guard to let a run through, it would find no data and write nowhere that matters.
  const safely = ['--out', path.join(os.tmpdir(), 'groovebox-never-trained'), '--data', '/nonexistent/groove'];
  const refusal = async (argv: string[]): Promise<string> => {
    try {
      await trainCommand.run(parseCommandArgs(trainCommand, [...argv, ...safely]));
    } catch (err) {
      expect(err).to.be.instanceOf(UsageError);
      return (err as Error).message;
    }
    throw new Error(`${argv.join(' ')} was accepted`);
  };

  it('--input-dropout is refused, before any backend or data is touched, for the model without an LSTM decoder', async () => {
    expect(await refusal(['--model', 'ag11s', '--input-dropout', '0.5'])).to.equal(
      '--input-dropout: ag11s has no autoregressive decoder to apply it to',
    );
  });

  it('--hide-probability and --input-dropout out of range name the flag and the range', async () => {
    expect(await refusal(['--model', 'ag11', '--hide-probability', '1'])).to.match(
      /^--hide-probability: expected a number in 0\.\.0\.99, got "1"$/,
    );
    expect(await refusal(['--model', 'ag2', '--input-dropout', 'half'])).to.match(/^--input-dropout: .*got "half"$/);
  });

  it("each flag sets its key and only that; a value equal to the model's own leaves the config as it is", () => {
    const ag2 = MODEL_CONFIGS.ag2;
    const changed = experimentConfig(ag2, { 'hide-probability': '0.25', 'input-dropout': '0.5', 'kl-beta': '0.05' });
    expect(changed.factors.map((f) => f.dropProbability)).to.deep.equal([0.25, 0.25]);
    expect(changed.decoder.inputDropout).to.equal(0.5);
    expect(changed.loss.beta).to.equal(0.05);
    expect({ ...changed, factors: ag2.factors, decoder: ag2.decoder, loss: ag2.loss }).to.deep.equal(ag2);
    expect(MODEL_CONFIGS.ag2.loss.beta, 'the model table itself is not touched').to.equal(0.2);
    // --input-dropout 0 is no key at all, as in a run without the flag (so either resumes the other).
    expect(experimentConfig(ag2, { 'input-dropout': '0', 'kl-beta': '0.2' })).to.deep.equal(ag2);
  });

  it('the size flags set the BiLSTM encoders and the LSTM decoder only, and refuse a model without them', async () => {
    const ag2 = MODEL_CONFIGS.ag2;
    const paper = experimentConfig(ag2, { 'encoder-units': '512', 'decoder-units': '256', 'decoder-layers': '2' });
    expect(paper.factors.map((f) => f.units)).to.deep.equal([512, 512]);
    expect([paper.decoder.units, paper.decoder.layers, paper.decoder.auxUnits]).to.deep.equal([256, 2, 128]);
    expect({ ...paper, factors: ag2.factors, decoder: ag2.decoder }).to.deep.equal(ag2);
    // ag11's encoders are MLPs, ag11s's decoder is the step decoder: a size flag there would silently do nothing.
    expect(await refusal(['--model', 'ag11', '--encoder-units', '512'])).to.match(
      /^--encoder-units: ag11 has no BiLSTM/,
    );
    expect(await refusal(['--model', 'ag11s', '--decoder-layers', '2'])).to.match(
      /^--decoder-layers: ag11s has no LSTM/,
    );
    expect(await refusal(['--model', 'ag2', '--decoder-layers', '1.5'])).to.match(/^--decoder-layers: .*got "1\.5"$/);
  });

  it("--timing-weight sets loss.timingWeight (1 is no key); refused for the step decoder's model", async () => {
    const ag2 = MODEL_CONFIGS.ag2;
    expect(ag2.loss.timingWeight, "ag2's own").to.equal(30);
    const weighted = experimentConfig(ag2, { 'timing-weight': '10' });
    expect(weighted.loss.timingWeight).to.equal(10);
    expect({ ...weighted, loss: ag2.loss }).to.deep.equal(ag2);
    expect(experimentConfig(ag2, { 'timing-weight': '30' })).to.deep.equal(ag2);
    // GrooVAE's weight is no key, as the baseline has it.
    const grooVae = experimentConfig(ag2, { 'timing-weight': '1' });
    expect(grooVae.loss).to.deep.equal(MODEL_CONFIGS.baseline.loss);
    expect(experimentConfig(MODEL_CONFIGS.baseline, { 'timing-weight': '1' })).to.deep.equal(MODEL_CONFIGS.baseline);
    expect(await refusal(['--model', 'ag11s', '--timing-weight', '10'])).to.match(
      /^--timing-weight: ag11s scales its own timing errors/,
    );
    expect(await refusal(['--model', 'ag2', '--timing-weight', '0'])).to.match(/^--timing-weight: .*got "0"$/);
  });

  it("--lstm-dropout sets train.lstmInputDropout (0 is no key); refused for the step decoder's model", async () => {
    const ag2 = MODEL_CONFIGS.ag2;
    const dropped = experimentConfig(ag2, { 'lstm-dropout': '0.7' });
    expect(dropped.train.lstmInputDropout).to.equal(0.7);
    expect({ ...dropped, train: ag2.train }).to.deep.equal(ag2);
    expect(experimentConfig(ag2, { 'lstm-dropout': '0' })).to.deep.equal(ag2);
    expect(await refusal(['--model', 'ag11s', '--lstm-dropout', '0.7'])).to.equal(
      '--lstm-dropout: ag11s has no LSTM to apply it to',
    );
  });
});
