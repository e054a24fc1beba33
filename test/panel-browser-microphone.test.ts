import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { GrooveBox } from '../firmware-ts/box/box.js';
import { SlotStore } from '../firmware-ts/box/slots.js';
import type { TapHit } from '../firmware-ts/devices/interfaces.js';
import type { LevelMeter, MicrophonePad } from '../firmware-ts/devices/microphone/microphone-tap-pad.js';
import { renderTaps } from '../firmware-ts/devices/microphone/synthetic-taps.js';
import { GenerationEngine } from '../firmware-ts/engine/engine.js';
import { PanelServer } from '../firmware-ts/panel/server.js';
import { MemoryLogs } from '../firmware-ts/support/log.js';
import { SystemClock } from '../firmware-ts/time/clock.js';
import { eventually } from './helpers/eventually.js';

const CHROMIUM = '/usr/bin/chromium';
const RATE = 48000;

/** 16-bit mono PCM WAV: what Chromium's fake capture device plays (looped) as the microphone. */
function wav(samples: Float32Array): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((x, i) => data.writeInt16LE(Math.round(Math.max(-1, Math.min(1, x)) * 32767), 2 * i));
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(RATE, 24);
  header.writeUInt32LE(RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

describe('panel: the microphone section in headless Chromium (fake capture device)', function () {
  let context: BrowserContext | null = null;
  let close: (() => Promise<void>) | null = null;
  const dirs: string[] = [];
  const temp = (prefix: string): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(d);
    return d;
  };

  before(function () {
    if (!fs.existsSync(CHROMIUM)) {
      if (process.env.GROOVEBOX_REQUIRE_BROWSER === '1') throw new Error(`${CHROMIUM} not found`);
      this.skip();
    }
  });

  after(async () => {
    await context?.close();
    await close?.();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("shows the box microphone's level, sets its sensitivity, and sends the browser microphone's taps", async () => {
    const clock = new SystemClock();
    const logs = new MemoryLogs();
    const server = new PanelServer({ port: 0, clock });
    // The box's microphone as a stub: a steady level, and the sensitivity the page sets.
    const level: LevelMeter = { peak: -12, rms: -20 };
    const sensitivities: number[] = [];
    const pad: MicrophonePad = {
      name: 'plughw:1,0',
      sensitivity: 0.5,
      setSensitivity: (s) => sensitivities.push(s),
      takeLevel: () => level,
      onHit: () => () => {},
      close: async () => {},
    };
    const box = new GrooveBox({
      clock,
      devices: server.devices,
      microphone: { pad },
      midi: null,
      audio: null,
      engineFactory: (config) => new GenerationEngine(config),
      slots: await SlotStore.open(temp('groovebox-state-'), logs.factory('slots')),
      settings: {
        model: 'ag11',
        temperature: 1,
        switchAt: 'loop',
        stepVelocity: 0.8,
        autoplay: false,
        bpm: 120,
        backend: 'cpu',
        modelsDir: temp('groovebox-no-models-'),
      },
      logs: logs.factory,
      panel: server,
    });
    server.onCommand((command) => box.command(command));
    await box.boot();
    const url = await server.start();
    const hits: TapHit[] = [];
    server.devices.tapPad.onHit((hit) => hits.push(hit));
    close = async () => {
      await box.shutdown();
      await server.close();
    };
    // Four loud clicks a second, looped by the fake capture device.
    const capture = path.join(temp('groovebox-capture-'), 'clicks.wav');
    const played = [0.05, 0.3, 0.55, 0.8].map((time) => ({ time, amplitude: 0.6, sound: 'click' as const }));
    fs.writeFileSync(capture, wav(renderTaps(played, 1, RATE)));
    context = await chromium.launchPersistentContext(temp('groovebox-chromium-'), {
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        `--use-file-for-fake-audio-capture=${capture}`,
      ],
      headless: true,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector('body[data-connected="1"]');
    await page.waitForSelector('#mic-box:not([hidden])');
    expect(await page.locator('#mic-box .mic-name').textContent()).to.equal('box: plughw:1,0');
    expect(await page.locator('#mic-box-meter').getAttribute('data-level')).to.equal('-12');
    await page.locator('#mic-box-sensitivity').fill('0.8');
    await eventually(() => sensitivities.includes(0.8), 'the sensitivity set from the page');

    await page.click('#mic-page-button');
    await page.waitForFunction(() => document.querySelector('#mic-page-state')?.textContent === 'listening');
    // Four loud clicks in a row, a quarter of a second apart as played (to within the detector's and the sync's
    // error), stamped on the box's clock. Only loud taps are read: the capture is not clean audio on a busy
    // machine (Chromium's fake device starts mid-click, and its blocks can drop out inside a click, whose tail
    // then comes back as a quiet onset). That each sound is heard once is the detector's own test, on exact
    // audio (devices-microphone.test.ts).
    const run = (): TapHit[] | null => {
      const loud = hits.filter((hit) => hit.velocity > 0.5);
      for (let end = 4; end <= loud.length; end++) {
        const four = loud.slice(end - 4, end);
        if (four.every((hit, k) => k === 0 || Math.abs(hit.time - four[k - 1].time - 0.25) <= 0.01)) return four;
      }
      return null;
    };
    await eventually(() => run() !== null, "four clicks in a row from the browser's microphone");
    const now = clock.now();
    for (const hit of run()!) expect(now - hit.time).to.be.within(0, 10);
    await page.waitForFunction(
      () => Number(document.querySelector('#mic-page-meter')?.getAttribute('data-level')) > -20,
    );
    expect(errors).to.deep.equal([]);
  });
});
