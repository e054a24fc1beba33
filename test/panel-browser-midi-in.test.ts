import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { GrooveBox } from '../firmware-ts/box/box.js';
import { SlotStore } from '../firmware-ts/box/slots.js';
import { GenerationEngine } from '../firmware-ts/engine/engine.js';
import { emptyBindings } from '../firmware-ts/inputs/midi/note-map-in.js';
import { PanelServer } from '../firmware-ts/panel/server.js';
import { MemoryLogs } from '../firmware-ts/support/log.js';
import { SystemClock } from '../firmware-ts/time/clock.js';
import { eventually } from './helpers/eventually.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];

/** A browser MIDI input the page can be given: the test plays it from inside the page. */
const FAKE_WEB_MIDI = `
  (() => {
    const input = { id: 'pads-1', name: 'Browser Pads', state: 'connected', onmidimessage: null };
    const access = { inputs: new Map([[input.id, input]]), onstatechange: null };
    navigator.requestMIDIAccess = async () => access;
    window.__playNote = (status, note, velocity) =>
      input.onmidimessage?.({ data: Uint8Array.from([status, note, velocity]), timeStamp: performance.now() });
  })();
`;

describe('panel: the MIDI in section in headless Chromium (Web MIDI stubbed)', function () {
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

  it("picks the browser's MIDI input, shows its notes as the box read them, and learns a drum", async () => {
    const clock = new SystemClock();
    const logs = new MemoryLogs();
    const server = new PanelServer({ port: 0, clock });
    const box = new GrooveBox({
      clock,
      devices: server.devices,
      midi: null,
      audio: null,
      noteInput: {
        port: null,
        channel: null,
        accent: 'velocity',
        accentNote: null,
        bindings: emptyBindings(),
        sources: [server.devices.midiIn],
        system: {
          list: async () => ['Pads A'],
          input: () => ({ open: async () => Promise.reject(new Error('none')) }),
        },
      },
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
    close = async () => {
      await box.shutdown();
      await server.close();
    };
    context = await chromium.launchPersistentContext(temp('groovebox-chromium-'), {
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
    });
    await context.addInitScript(FAKE_WEB_MIDI);
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector('body[data-connected="1"]');
    await page.waitForSelector('#midi-in:not([hidden])');
    expect(await page.locator('#midi-in-port option').allTextContents()).to.deep.equal(['none', 'Pads A']);

    await page.focus('#midi-in-web');
    await page.waitForFunction(() => document.querySelectorAll('#midi-in-web option').length === 2);
    await page.selectOption('#midi-in-web', 'pads-1');
    await page.evaluate(() =>
      (window as unknown as { __playNote: (...b: number[]) => void }).__playNote(0x99, 38, 100),
    );
    await page.waitForFunction(() => document.querySelector('#midi-in-seen li')?.textContent?.includes('snare'));
    expect(await page.locator('#midi-in-seen li').first().textContent()).to.equal(
      '38 ch 10 · velocity 100 → snare (panel (Web MIDI))',
    );

    await page.click('#midi-in-drums .learn[data-drum="8"]');
    await eventually(() => box.notes!.gestures.learning === 8, 'MIDI-learn armed from the page');
    await page.evaluate(() => (window as unknown as { __playNote: (...b: number[]) => void }).__playNote(0x90, 72, 90));
    await page.waitForFunction(() =>
      document.querySelector('#midi-in-drums .learn[data-drum="8"]')?.textContent?.includes('72 ch 1'),
    );
    expect(errors).to.deep.equal([]);
  });
});
