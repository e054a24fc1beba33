import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { PROJECT_ROOT } from '../firmware-ts/paths.js';
import { panelBox, type PanelBox } from './helpers/box-fixtures.js';
import { launchChromium, skipWithoutChromium, type ChromiumPage } from './helpers/browser.js';
import { eventually } from './helpers/eventually.js';

const ARTIFACT = path.join(PROJECT_ROOT, 'test-artifacts', 'panel.png');
/** The README's picture; rewritten only on request so a test run never dirties the checkout. */
const DOCS_SCREENSHOT = path.join(PROJECT_ROOT, 'docs', 'panel.png');

const rollNotes = (page: Page): Promise<number> =>
  page.locator('#roll').evaluate((el) => Number((el as HTMLElement).dataset.notes));
const signature = (page: Page): Promise<string> =>
  page.locator('#roll').evaluate((el) => (el as HTMLElement).dataset.signature ?? '');

/** Waits for something the box does when the page's message arrives (over the socket, so not at once). */
const until = (ok: () => boolean, what: string | (() => string)): Promise<void> => eventually(ok, what);

/** Steps of a drum's row in the loop that hold your score (outlined). */
const given = (page: Page, drum: number): Promise<number> =>
  page
    .locator('#roll .cell')
    .evaluateAll(
      (cells, d) => cells.slice(d * 32, (d + 1) * 32).filter((c) => c.classList.contains('given')).length,
      drum,
    );

describe('panel: the whole box in headless Chromium', function () {
  let box: PanelBox | null = null;
  let browser: ChromiumPage | null = null;

  before(skipWithoutChromium);

  after(async () => {
    await browser?.close();
    await box?.close();
  });

  it('toggles steps, taps a groove, generates, and the drum-roll follows', async () => {
    box = await panelBox({ model: 'tiny', random: () => 0.25 });
    browser = await launchChromium({ viewport: { width: 1280, height: 860 }, consoleErrors: true });
    const page = browser.page;
    await page.goto(box.url);
    await page.waitForSelector('body[data-connected="1"]');
    // The box generated at boot: the roll shows what it plays.
    await page.waitForFunction(
      (n) => document.querySelector<HTMLElement>('#roll')!.dataset.notes === String(n),
      box.box.loop.hitCount(),
    );

    // Kick on the four quarters of bar 1: the keys light in the kick's colour, the score shows in the roll.
    for (const key of [0, 4, 8, 12]) await page.click(`#grid .key[data-key="${key}"]`);
    await page.waitForFunction(
      () =>
        getComputedStyle(document.querySelector('#grid .key[data-key="12"]')!).getPropertyValue('--led').trim() ===
        'rgb(255, 40, 0)',
    );
    expect(
      await page
        .locator('#grid .key[data-key="1"]')
        .evaluate((el) => getComputedStyle(el).getPropertyValue('--led').trim()),
    ).to.equal('rgb(0, 0, 0)');
    expect(await given(page, 0)).to.equal(8); // bar 1's four, repeated in bar 2 (linked bars)
    expect(await page.locator('#roll .label[data-drum="0"]').getAttribute('data-state')).to.equal('specified');

    // Snare: select it by its name (SHIFT + key 2 on the box), then the backbeat from the keyboard (Q and Z are grid keys 4 and 12).
    await page.click('#roll .label[data-drum="1"]');
    await page.waitForFunction(() => document.getElementById('lcd-drum')!.textContent === 'snare');
    await page.keyboard.press('KeyQ');
    await page.keyboard.press('KeyZ');
    await page.waitForFunction(() => document.querySelectorAll('#roll .cell.given').length === 12);
    expect(await given(page, 1)).to.equal(4);
    // "No crash": select it, SHIFT + the last key marks it specified-empty.
    await page.click('#roll .label[data-drum="7"]');
    await page.keyboard.down('ShiftLeft');
    await page.keyboard.press('KeyV');
    await page.keyboard.up('ShiftLeft');
    await page.waitForFunction(
      () => document.querySelector('#roll .label[data-drum="7"]')!.getAttribute('data-state') === 'empty',
    );

    // A groove: REC, a bar of count-in, then taps from the pad and the keyboard during the two recorded bars.
    await page.click('#buttons .fn[data-button="rec"]');
    await page.waitForSelector('#pad[data-take="recording"]', { timeout: 10_000 });
    const pad = page.locator('#pad');
    // The take keeps one tap per 16th (the louder of two on one step), so the eight taps must land on eight steps.
    // No fixed pause between them promises that on a loaded machine; instead each tap waits until the box has the
    // one before it and the take's playhead, on the box's clock, is a whole step past the step that one landed on:
    // a tap goes to its nearest step, so that leaves half a step for the page's clock sync to be off. The box runs
    // on the system clock (the page's clock sync is real time), so these are waits for the box's state, not for an
    // amount of time: a slow machine only makes them later. A take that ends before all eight (a badly stalled
    // machine) ends the loop, and the count below judges what landed.
    const recorder = box.box.capture.recorder;
    const take = recorder.window;
    expect(take, 'the take has its window').not.to.equal(null);
    const playhead = (): number => (box!.clock.now() - take!.start) / take!.stepDuration;
    const taking = (): boolean => recorder.window === take;
    /** The latest step the take has a tap on, -1 before the first. */
    const lastTapped = (): number => {
      const hits = recorder.partial.hits;
      for (let step = hits.length - 1; step >= 0; step--) if (hits[step] > 0.5) return step;
      return -1;
    };
    for (let i = 0; i < 8 && taking(); i++) {
      const last = lastTapped();
      await until(
        () => playhead() >= last + 1 || !taking(),
        () => `the take's playhead past step ${last} (it is at ${playhead().toFixed(2)})`,
      );
      if (!taking()) break;
      if (i % 2 === 0) await pad.click({ position: { x: 100, y: i % 4 === 0 ? 10 : 90 } });
      else await page.keyboard.press(i % 4 === 1 ? 'KeyK' : 'KeyJ');
      await until(
        () => lastTapped() > last || !taking(),
        () => `the box to have tap ${i + 1} on a step after ${last} (the latest tapped is ${lastTapped()})`,
      );
    }
    await page.waitForSelector('#pad[data-take="idle"]', { timeout: 10_000 });
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('#heard .cell'))
        .slice(9 * 32, 10 * 32)
        .some((c) => c.querySelector('.note')),
    );
    const tapped = await page
      .locator('#heard .cell')
      .evaluateAll((cells) => cells.slice(9 * 32, 10 * 32).filter((c) => c.querySelector('.note')).length);
    expect(tapped, 'steps of the tapped groove').to.be.within(6, 8);
    expect(box.box.capture.state.groove, 'the box has the groove').not.to.equal(null);

    // GENERATE: the model's new loop replaces the old one in the roll (the box is stopped, so at once).
    const before = await signature(page);
    await page.click('#buttons .fn[data-button="generate"]');
    await page.waitForFunction((b) => document.querySelector<HTMLElement>('#roll')!.dataset.signature !== b, before, {
      timeout: 30_000,
    });
    await page.waitForFunction(() => !document.getElementById('heard')!.classList.contains('none'));
    const playing = box.box.loop.toJSON().notes;
    expect(await signature(page)).to.equal(playing.map((n) => n.join(',')).join(';'));
    expect(await rollNotes(page)).to.equal(playing.length);

    // The tempo knob from the keyboard: the arrow keys, "+" (or "=", its key unshifted, or the number pad's) and "-",
    // one detent each, as docs/operating.md says.
    let bpm = box.box.sequencer.targetBpm;
    const turns: [string, number][] = [
      ['ArrowUp', 1],
      ['Equal', 1],
      ['+', 1],
      ['NumpadAdd', 1],
      ['Minus', -1],
      ['NumpadSubtract', -1],
      ['ArrowDown', -1],
    ];
    for (const [key, detents] of turns) {
      await page.keyboard.press(key);
      bpm += detents;
      await until(
        () => box!.box.sequencer.targetBpm === bpm,
        () => `tempo ${bpm} BPM after the key ${key} (it is ${box!.box.sequencer.targetBpm})`,
      );
    }
    // Ctrl with + or - is the browser's zoom, not the knob. Had they turned it (-1, -2, -1), the two ups after them
    // would end at bpm, never passing bpm + 2.
    for (const key of ['Control+Minus', 'Control+NumpadSubtract', 'Control+Equal', 'ArrowUp', 'ArrowUp'])
      await page.keyboard.press(key);
    bpm += 2;
    await until(
      () => box!.box.sequencer.targetBpm === bpm,
      () => `tempo ${bpm} BPM: Ctrl with + or - turned the knob (it is ${box!.box.sequencer.targetBpm})`,
    );

    // Back to the kick, and PLAY: the grid shows its score again and the playhead runs.
    await page.click('#roll .label[data-drum="0"]');
    await page.waitForFunction(() => document.getElementById('lcd-drum')!.textContent === 'kick');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.getElementById('lcd-step')!.textContent !== '–');
    expect(
      await page.locator('#buttons .fn[data-button="play"]').evaluate((el) => el.classList.contains('lit')),
    ).to.equal(true);

    // The export link downloads the loop as a Standard MIDI File.
    const head = await page.evaluate(async () => {
      const res = await fetch(document.querySelector<HTMLAnchorElement>('#export')!.href);
      return String.fromCharCode(...new Uint8Array(await res.arrayBuffer()).slice(0, 4));
    });
    expect(head).to.equal('MThd');

    expect(browser.errors).to.deep.equal([]);
    expect(await page.evaluate(() => document.body.dataset.errors ?? '0')).to.equal('0');
    fs.mkdirSync(path.dirname(ARTIFACT), { recursive: true });
    await page.screenshot({ path: ARTIFACT, fullPage: true });
    if (process.env.GROOVEBOX_UPDATE_DOCS_SCREENSHOT === '1') fs.copyFileSync(ARTIFACT, DOCS_SCREENSHOT);
  });
});
