import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { ChangeSignal } from '../firmware-ts/box/changed.js';
import { ConfigError, defaultConfig, validateConfig } from '../firmware-ts/box/config.js';
import { BoxMicrophone, METER_INTERVAL, parseKept } from '../firmware-ts/box/microphone.js';
import { openMicrophone } from '../firmware-ts/box/run.js';
import { FakeAudioInput } from '../firmware-ts/devices/microphone/fake-audio-input.js';
import { DeviceMissingError } from '../firmware-ts/devices/errors.js';
import { ReopeningMicrophone } from '../firmware-ts/devices/microphone/reopening-microphone.js';
import { MicrophoneTapPad, type LevelMeter } from '../firmware-ts/devices/microphone/microphone-tap-pad.js';
import { renderTaps } from '../firmware-ts/devices/microphone/synthetic-taps.js';
import { PanelMessageError, parseClientMessage } from '../firmware-ts/panel/client-messages.js';
import { METER_FLOOR_DB } from '../firmware-ts/panel/protocol.js';
import { MemoryLog, MemoryLogs, silentLog } from '../firmware-ts/support/log.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';
import { tempDir, testBox } from './helpers/box-fixtures.js';
import { refusalOf } from './helpers/refusal.js';

const RATE = 48000;
const steps = (row: ArrayLike<number> | null | undefined) =>
  Array.from(row ?? []).flatMap((v, i) => (v > 0.5 ? [i] : []));

function configError(raw: unknown): string {
  return refusalOf(() => validateConfig(raw, 'config.json'), raw, ConfigError);
}

describe('box: a microphone as one more tap pad', () => {
  it('a take tapped into the microphone: its taps land on their steps, timed at capture minus the latency', async () => {
    const stateDir = tempDir('groovebox-state-');
    const clock = new OfflineClock();
    const latency = 0.012;
    const input = new FakeAudioInput({ clock, sampleRate: RATE, blockSize: 128 });
    const pad = new MicrophoneTapPad({ input, name: 'fake', onset: { inputLatency: latency }, log: silentLog });
    const u = await testBoxWithMicrophone(stateDir, pad, clock);
    await u.box.boot();
    input.start();
    await u.button('rec', true);
    await u.button('rec', false);
    const window = u.box.capture.recorder.window!;
    expect(u.box.capture.recorder.phase()).to.equal('count-in');
    // What is played now is captured from the next block on (the blocks since start were silence).
    const started = input.lastBlock!.time + input.blockDuration;
    // Knocks on every beat and claps on the offbeat 8ths, heard `latency` after they were played (the input path).
    const played = [...Array(8)].flatMap((_, beat) => [
      { step: beat * 4, sound: 'knock' as const },
      { step: beat * 4 + 2, sound: 'clap' as const },
    ]);
    const audio = renderTaps(
      played.map(({ step, sound }) => ({
        time: window.start + step * window.stepDuration + latency - started,
        amplitude: 0.5,
        sound,
      })),
      window.end + 0.5 - started,
      RATE,
    );
    input.play(audio);
    // The meter as the panel sees it, read every 10 ms while the take runs.
    let loudest = METER_FLOOR_DB;
    for (let at = u.clock.now(); at < window.end + 0.1; at += 0.01) {
      await u.run(at);
      loudest = Math.max(loudest, u.box.snapshot().microphone!.peak);
    }
    const { groove } = u.box.capture.state;
    expect(steps(groove!.hits)).to.deep.equal(played.map((p) => p.step));
    // Offsets are in half-steps: within 3 ms of the grid, so the latency was taken off (12 ms would be a tenth of a 16th).
    for (const { step } of played)
      expect(Math.abs(groove!.offsets[step]) * window.stepDuration * 0.5).to.be.below(0.003);
    expect(loudest).to.be.within(-10, 0);
    await u.run(window.end + 0.8);
    const shown = u.box.snapshot().microphone!;
    expect(shown).to.deep.include({ device: 'fake', sensitivity: 0.5, trouble: null });
    expect(shown.peak).to.equal(METER_FLOOR_DB); // silence after the take
    await u.close();
  });

  it('the sensitivity command changes the live detector, is shown, and is kept for the next boot', async () => {
    const stateDir = tempDir('groovebox-state-');
    const keepFile = path.join(stateDir, 'microphone.json');
    const clock = new OfflineClock();
    const pad = new MicrophoneTapPad({ input: new FakeAudioInput({ clock }), name: 'fake', log: silentLog });
    const t = await testBoxWithMicrophone(stateDir, pad, clock);
    await t.box.boot();
    await t.box.command({ command: 'microphone', sensitivity: 0.8 });
    expect(pad.sensitivity).to.equal(0.8);
    expect(t.box.snapshot().microphone!.sensitivity).to.equal(0.8);
    await t.close();
    expect(JSON.parse(fs.readFileSync(keepFile, 'utf8'))).to.deep.equal({
      format: 'groovebox-microphone-1',
      sensitivity: 0.8,
    });

    const again = new MicrophoneTapPad({ input: new FakeAudioInput({ clock }), name: 'fake', log: silentLog });
    const u = await testBoxWithMicrophone(stateDir, again, clock);
    await u.box.boot();
    expect(again.sensitivity).to.equal(0.8);
    await u.close();

    // A broken keep file: one line, the config's sensitivity, and the file set aside (the next save would overwrite it).
    fs.writeFileSync(keepFile, '{"format":"groovebox-microphone-1","sensitivity":7}');
    const third = new MicrophoneTapPad({ input: new FakeAudioInput({ clock }), name: 'fake', log: silentLog });
    const v = await testBoxWithMicrophone(stateDir, third, clock);
    await v.box.boot();
    expect(third.sensitivity).to.equal(0.5);
    expect(v.logs.lines.filter((l) => l.message.includes('microphone.json')).map((l) => l.message)).to.deep.equal([
      `${keepFile}: sensitivity = 7: expected a number 0..1; kept as ${keepFile}.corrupt; using the config's microphone.sensitivity`,
    ]);
    await v.close();
    expect(fs.existsSync(keepFile)).to.equal(false);
    expect(fs.readFileSync(`${keepFile}.corrupt`, 'utf8'), 'kept as it was').to.equal(
      '{"format":"groovebox-microphone-1","sensitivity":7}',
    );

    // Not JSON at all: one line naming the file too, and the box boots.
    fs.writeFileSync(keepFile, '{"format":"groovebox-microph');
    const fourth = new MicrophoneTapPad({ input: new FakeAudioInput({ clock }), name: 'fake', log: silentLog });
    const w = await testBoxWithMicrophone(stateDir, fourth, clock);
    await w.box.boot();
    expect(fourth.sensitivity).to.equal(0.5);
    const lines = w.logs.lines.filter((l) => l.message.includes('microphone.json'));
    expect(lines.map((l) => l.level)).to.deep.equal(['warn']);
    expect(lines[0].message.startsWith(`${keepFile}: not valid JSON (`)).to.equal(true);
    expect(
      lines[0].message.endsWith(`; kept as ${keepFile}.corrupt-1; using the config's microphone.sensitivity`),
    ).to.equal(true);
    await w.close();
    expect(fs.readFileSync(`${keepFile}.corrupt-1`, 'utf8'), 'kept as it was, beside the first').to.equal(
      '{"format":"groovebox-microph',
    );
  });

  it('a kept sensitivity that cannot be used: one line naming the file, the key, the value and what was expected', () => {
    const file = '/var/lib/groovebox/microphone.json';
    const refusal = (text: string): string => refusalOf(() => parseKept(text, file), text);
    const kept = (fields: object) => JSON.stringify({ format: 'groovebox-microphone-1', ...fields });
    expect(parseKept(kept({ sensitivity: 0 }), file)).to.equal(0);
    expect(parseKept(kept({ sensitivity: 1 }), file)).to.equal(1);
    // A key this box does not know (a newer box's) is left out, not refused.
    expect(parseKept(kept({ sensitivity: 0.25, gain: 3 }), file)).to.equal(0.25);

    expect(refusal(kept({ sensitivity: '0.8' }))).to.equal(`${file}: sensitivity = "0.8": expected a number 0..1`);
    expect(refusal(kept({ sensitivity: 1.5 }))).to.equal(`${file}: sensitivity = 1.5: expected a number 0..1`);
    expect(refusal(kept({ sensitivity: -0.1 }))).to.equal(`${file}: sensitivity = -0.1: expected a number 0..1`);
    expect(refusal(kept({}))).to.equal(`${file}: sensitivity = (missing): expected a number 0..1`);
    expect(refusal('{"sensitivity":0.5}')).to.equal(`${file}: format = (missing): expected "groovebox-microphone-1"`);
    expect(refusal('{"format":"groovebox-microphone-2","sensitivity":0.5}')).to.equal(
      `${file}: format = "groovebox-microphone-2": expected "groovebox-microphone-1"`,
    );
    expect(refusal('[0.5]')).to.equal(`${file}: (top level) = [0.5]: expected a JSON object`);
    expect(refusal('null')).to.equal(`${file}: (top level) = null: expected a JSON object`);
    expect(refusal('')).to.match(/^\/var\/lib\/groovebox\/microphone\.json: not valid JSON \(.+\)$/);
  });

  it('a box without a microphone refuses the command in one line; the snapshot has none', async () => {
    const t = await testBox({ modelsDir: tempDir('groovebox-no-models-') });
    await t.box.boot();
    const refused = await t.box.command({ command: 'microphone', sensitivity: 0.3 }).then(
      () => 'accepted',
      (e: Error) => e.message,
    );
    expect(refused).to.equal('this box has no microphone (set microphone.device in the config)');
    expect(t.box.snapshot().microphone).to.equal(null);
    await t.close();
  });

  it('the meter is read ten times a second, and redraws the panel only when the level moved', () => {
    let level: LevelMeter = { peak: -120, rms: -120 };
    let trouble: string | null = null;
    const pad = {
      name: 'fake',
      sensitivity: 0.5,
      setSensitivity() {},
      takeLevel: () => level,
      trouble: () => trouble,
      onHit: () => () => {},
      close: async () => {},
    };
    const changed = new ChangeSignal();
    let raised = 0;
    changed.subscribe(() => raised++);
    const mic = new BoxMicrophone({ changed, log: new MemoryLog() }, { pad });
    mic.poll(0);
    expect(raised).to.equal(0); // silence reads as the floor it started at
    level = { peak: -12.4, rms: -20.6 };
    mic.poll(METER_INTERVAL / 2);
    expect(raised).to.equal(0); // not yet read
    mic.poll(METER_INTERVAL);
    expect(raised).to.equal(1);
    expect(mic.view()).to.deep.include({ peak: -12, rms: -21 });
    level = { peak: -12.2, rms: -20.9 };
    mic.poll(2 * METER_INTERVAL);
    expect(raised).to.equal(1); // the same whole dB
    trouble = 'microphone plughw:1,0: arecord exited (code 1)';
    mic.poll(2.5 * METER_INTERVAL);
    expect(raised).to.equal(2);
    expect(mic.view().trouble).to.equal(trouble);
  });

  it('config: microphone defaults, and each bad key in one line', () => {
    expect(defaultConfig().microphone).to.deep.equal({ device: null, sensitivity: 0.5, latencyMs: 0 });
    expect(validateConfig({ microphone: { device: 'plughw:1,0', latencyMs: 8 } }, 'c').microphone).to.deep.equal({
      device: 'plughw:1,0',
      sensitivity: 0.5,
      latencyMs: 8,
    });
    const cases: [unknown, string][] = [
      [
        { microphone: { device: '' } },
        'config.json: microphone.device = "": expected an ALSA capture device (e.g. "plughw:1,0" or "default"; arecord -L lists them), or null',
      ],
      [{ microphone: { sensitivity: 2 } }, 'config.json: microphone.sensitivity = 2: expected a number in 0..1'],
      [{ microphone: { latencyMs: -5 } }, 'config.json: microphone.latencyMs = -5: expected a number in 0..500'],
      [{ microphone: { gain: 1 } }, 'config.json: microphone.gain = 1: '],
      [{ microphone: 'hw:1' }, 'config.json: microphone = "hw:1": expected an object'],
    ];
    for (const [raw, line] of cases) {
      const message = configError(raw);
      expect(message).to.satisfy((m: string) => m.startsWith(line), message);
      expect(message).to.not.include('\n');
    }
  });

  it('the panel command: a sensitivity 0..1, anything else refused in one line', () => {
    expect(parseClientMessage('{"type":"command","command":"microphone","sensitivity":0.25}')).to.deep.equal({
      type: 'command',
      command: 'microphone',
      sensitivity: 0.25,
    });
    for (const [bad, line] of [
      ['{"type":"command","command":"microphone","sensitivity":1.5}', 'sensitivity: expected a number 0..1, got 1.5'],
      ['{"type":"command","command":"microphone"}', 'sensitivity: expected a number 0..1, got nothing'],
    ]) {
      let message = '';
      try {
        parseClientMessage(bad);
      } catch (error) {
        expect(error).to.be.instanceOf(PanelMessageError);
        message = (error as Error).message;
      }
      expect(message).to.equal(line);
    }
  });

  it('a configured device that is not there: one line, and the box goes on without it', async () => {
    const logs = new MemoryLogs();
    const microphone = await openMicrophone(
      { device: 'hw:CARD=NoSuchCard', sensitivity: 0.5, latencyMs: 0 },
      new OfflineClock(),
      logs.factory,
    );
    expect(microphone!.open).to.equal(false);
    expect(microphone!.trouble()).to.match(/^microphone hw:CARD=NoSuchCard not available: /);
    const lines = logs.lines.map((l) => l.message);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(
      /^microphone hw:CARD=NoSuchCard not available: .+; the box plays on without it, looking for it every 2 s$/,
    );
    await microphone!.close();
  });

  it('a microphone missing at start, then plugged, pulled and plugged again: a line each way, taps when it is there', async () => {
    const clock = new OfflineClock();
    const log = new MemoryLog();
    const state = { plugged: false, inputs: [] as FakeAudioInput[] };
    const microphone = new ReopeningMicrophone({
      name: 'plughw:1,0',
      clock,
      log,
      sensitivity: 0.5,
      open: async () => {
        if (!state.plugged) throw new DeviceMissingError('microphone plughw:1,0', 'no such card');
        const input = new FakeAudioInput({ clock, sampleRate: RATE });
        state.inputs.push(input);
        input.start();
        return new MicrophoneTapPad({ input, log });
      },
    });
    const hits: number[] = [];
    microphone.onHit((hit) => hits.push(hit.time));
    // The offline clock in 10 ms steps, letting each open (a promise) settle, as the box's loop would.
    const run = async (seconds: number) => {
      for (const end = clock.now() + seconds; clock.now() < end - 1e-9;) {
        clock.advance(Math.min(0.01, end - clock.now()));
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await microphone.start();
    expect(log.lines.map((l) => l.message)).to.deep.equal([
      'microphone plughw:1,0 not available: no such card; the box plays on without it, looking for it every 2 s',
    ]);
    microphone.setSensitivity(0.7);
    await run(5);
    expect(log.lines).to.have.length(1); // still missing: no more lines
    state.plugged = true;
    await run(2);
    expect(microphone.open).to.equal(true);
    expect(microphone.trouble()).to.equal(null);
    expect(log.lines.at(-1)!.message).to.equal('microphone plughw:1,0 is back: taking taps from it again');
    const input = state.inputs[0];
    const at = input.lastBlock!.time + input.blockDuration;
    input.play(renderTaps([{ time: 0.1, amplitude: 0.5, sound: 'click' }], 0.3, RATE));
    await run(0.3);
    expect(hits).to.have.length(1);
    expect(hits[0] - (at + 0.1)).to.be.within(-0.001, 0.001);

    state.plugged = false;
    input.unplug();
    expect(microphone.open).to.equal(false);
    expect(microphone.trouble()).to.equal('audio input ended: device removed');
    await run(6);
    state.plugged = true;
    await run(2);
    expect(microphone.open).to.equal(true);
    expect(state.inputs).to.have.length(2);
    // The sensitivity set while it was away holds for the capture opened since.
    expect(microphone.sensitivity).to.equal(0.7);
    expect(
      log.lines
        .filter((l) => l.level !== 'debug')
        .map((l) => l.message)
        .slice(1),
    ).to.deep.equal([
      'microphone plughw:1,0 is back: taking taps from it again',
      'audio input ended: device removed: no more taps from the microphone',
      'microphone plughw:1,0 is back: taking taps from it again',
    ]);
    await microphone.close();
  });
});

/** A test box whose tap pads include `pad`, kept in `stateDir`, on the clock the pad's input runs on. */
async function testBoxWithMicrophone(stateDir: string, pad: MicrophoneTapPad, clock: OfflineClock) {
  return testBox({
    modelsDir: tempDir('groovebox-no-models-'),
    stateDir,
    microphone: { pad, keepFile: path.join(stateDir, 'microphone.json') },
    clock,
  });
}
