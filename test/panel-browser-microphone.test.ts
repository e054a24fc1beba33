import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { TapHit } from '../firmware-ts/devices/interfaces.js';
import type { LevelMeter, MicrophonePad } from '../firmware-ts/devices/microphone/microphone-tap-pad.js';
import { renderTaps } from '../firmware-ts/devices/microphone/synthetic-taps.js';
import { panelBox, tempDir, type PanelBox } from './helpers/box-fixtures.js';
import { launchChromium, skipWithoutChromium, type ChromiumPage } from './helpers/browser.js';
import { eventually } from './helpers/eventually.js';

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
  let browser: ChromiumPage | null = null;
  let panel: PanelBox | null = null;
  const dirs: string[] = [];

  before(skipWithoutChromium);

  after(async () => {
    await browser?.close();
    await panel?.close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("shows the box microphone's level, sets its sensitivity, and sends the browser microphone's taps", async () => {
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
    panel = await panelBox({ microphone: { pad } });
    const { clock, server, url } = panel;
    const hits: TapHit[] = [];
    server.devices.tapPad.onHit((hit) => hits.push(hit));
    // Four loud clicks a second, looped by the fake capture device.
    const captureDir = tempDir('groovebox-capture-');
    dirs.push(captureDir);
    const capture = path.join(captureDir, 'clicks.wav');
    const played = [0.05, 0.3, 0.55, 0.8].map((time) => ({ time, amplitude: 0.6, sound: 'click' as const }));
    fs.writeFileSync(capture, wav(renderTaps(played, 1, RATE)));
    browser = await launchChromium({
      args: [
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        `--use-file-for-fake-audio-capture=${capture}`,
      ],
    });
    const { page, errors } = browser;
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
    const loud = (): TapHit[] => hits.filter((hit) => hit.velocity > 0.5);
    const run = (): TapHit[] | null => {
      const heardLoud = loud();
      for (let end = 4; end <= heardLoud.length; end++) {
        const four = heardLoud.slice(end - 4, end);
        if (four.every((hit, k) => k === 0 || Math.abs(hit.time - four[k - 1].time - 0.25) <= 0.01)) return four;
      }
      return null;
    };
    const heard = (): string => hits.map((hit) => `${hit.time.toFixed(3)} s at ${hit.velocity.toFixed(2)}`).join(', ');
    // Three loops of the capture are enough for a glitch-free stretch of four; the verdict rests on them, not on a time limit.
    await eventually(
      () => run() !== null || loud().length >= 12,
      () => `clicks from the browser's microphone (heard: ${heard() || 'nothing'})`,
    );
    expect(run(), `four clicks in a row, a quarter second apart, among: ${heard()}`).to.not.equal(null);
    const now = clock.now();
    for (const hit of run()!) expect(now - hit.time).to.be.within(0, 10);
    await page.waitForFunction(
      () => Number(document.querySelector('#mic-page-meter')?.getAttribute('data-level')) > -20,
    );
    expect(errors).to.deep.equal([]);
  });
});
