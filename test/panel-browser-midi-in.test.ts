import { expect } from 'chai';
import { emptyBindings } from '../firmware-ts/inputs/midi/note-map-in.js';
import { panelBox, type PanelBox } from './helpers/box-fixtures.js';
import { launchChromium, skipWithoutChromium, type ChromiumPage } from './helpers/browser.js';
import { eventually } from './helpers/eventually.js';

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
  let browser: ChromiumPage | null = null;
  let panel: PanelBox | null = null;

  before(skipWithoutChromium);

  after(async () => {
    await browser?.close();
    await panel?.close();
  });

  it("picks the browser's MIDI input, shows its notes as the box read them, and learns a drum", async () => {
    panel = await panelBox({
      noteInput: (server) => ({
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
      }),
    });
    const { box, url } = panel;
    browser = await launchChromium({ initScript: FAKE_WEB_MIDI });
    const { page, errors } = browser;
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
