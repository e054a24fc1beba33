import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { readPatterns } from '../firmware-ts/midi-file/read.js';
import { PROJECT_ROOT } from '../firmware-ts/paths.js';
import type { Pattern } from '../firmware-ts/pattern/pattern.js';
import { panelBox, type PanelBox } from './helpers/box-fixtures.js';
import { launchChromium, skipWithoutChromium, type ChromiumPage } from './helpers/browser.js';
import { eventually } from './helpers/eventually.js';

/**
 * A performer's first minute, scripted in headless Chromium on a laptop and
 * a phone: kick and snare on bar 1, a take of taps, GENERATE, PLAY. Nothing
 * here waits a fixed time: every step waits for a state or a record (the
 * LCD, the take's position on the box's clock, the count of generated loops,
 * the hits the page's audio scheduled), so the box's own clock paces it and a
 * loaded machine only makes it slower. Conditions are "at least", never
 * "exactly now": a frame that went by unseen cannot make a wait run out.
 */

const ARTIFACTS = path.join(PROJECT_ROOT, 'test-artifacts');
const DOCS = path.join(PROJECT_ROOT, 'docs');
const KICK = 0;
const SNARE = 1;

const stepsOf = (pattern: Pattern, drum: number): number[] =>
  pattern
    .toJSON()
    .notes.filter((n) => n[1] === drum)
    .map((n) => n[0]);

/** Every step into test-artifacts/; with GROOVEBOX_UPDATE_DOCS_SCREENSHOT=1 the docs' copies too (committed after `pngquant`, to stay small). */
async function shoot(page: Page, name: string, docs: boolean): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  if (docs && process.env.GROOVEBOX_UPDATE_DOCS_SCREENSHOT === '1')
    fs.copyFileSync(file, path.join(DOCS, `${name}.png`));
}

for (const viewport of [
  { width: 1280, height: 900, name: 'laptop' },
  { width: 390, height: 844, name: 'phone' },
]) {
  describe(`panel: the first minute in headless Chromium (${viewport.width}x${viewport.height})`, function () {
    this.timeout(180_000);
    let box: PanelBox | null = null;
    let browser: ChromiumPage | null = null;

    before(skipWithoutChromium);

    after(async () => {
      await browser?.close();
      await box?.close();
    });

    it('programs bar 1, records taps, generates and plays: both bars sound, in the page too', async () => {
      // The docs keep every laptop step and three of the phone's (docs/play-in-one-minute.md).
      const shot = (n: number, what: string): Promise<void> =>
        shoot(page, `first-minute-${viewport.name}-${n}-${what}`, viewport.name === 'laptop' || [2, 3, 5].includes(n));
      // The docs' pictures show what the box's own model plays; the test's own runs use a tiny model, quick to load.
      const forDocs = process.env.GROOVEBOX_UPDATE_DOCS_SCREENSHOT === '1';
      box = await panelBox({ model: forDocs ? 'shipped' : 'tiny', random: () => 0.25 });
      browser = await launchChromium({
        // The page's kit must sound for the hits it schedules to be read; no gesture policy may hold it back.
        args: ['--autoplay-policy=no-user-gesture-required'],
        viewport: { width: viewport.width, height: viewport.height },
        hasTouch: viewport.name === 'phone',
        consoleErrors: true,
      });
      const page = browser.page;
      await page.goto(box.url);
      await page.waitForSelector('body[data-connected="1"]');
      await page.waitForFunction(() => document.getElementById('lcd-state')!.textContent !== '');
      await shot(1, 'open');

      // The phone: what the hands need is on the screen without zooming, and big enough for a finger.
      if (viewport.name === 'phone') {
        const sizes = await page.evaluate(() =>
          [
            '#grid .key[data-key="0"]',
            '#buttons .fn[data-button="generate"]',
            '#buttons .fn[data-button="play"]',
            '#pad',
            '#roll .cell.accent',
          ].map((s) => {
            const r = document.querySelector(s)!.getBoundingClientRect();
            return { s, w: r.width, h: r.height };
          }),
        );
        for (const { s, w, h } of sizes) expect(Math.min(w, h), `${s} is a 44 px touch target`).to.be.at.least(44);
        expect(
          await page.evaluate(() => document.documentElement.scrollWidth),
          'no page-wide sideways scroll',
        ).to.be.at.most(viewport.width);
      }

      // Kick on the quarters of bar 1 (keys), snare on the backbeat: its name in the loop selects it.
      for (const k of ['Digit1', 'KeyQ', 'KeyA', 'KeyZ']) await page.keyboard.press(k);
      await page.click('#roll .label[data-drum="1"]');
      await page.waitForFunction(() => document.getElementById('lcd-drum')!.textContent === 'snare');
      await page.keyboard.press('KeyQ');
      await page.keyboard.press('KeyZ');
      await page.waitForFunction(() => document.querySelectorAll('#roll .cell.given').length >= 6);
      // The programmed steps are not what plays yet: the LCD says what to do.
      await page.waitForFunction(
        () => document.getElementById('lcd-state')!.textContent === 'press GENERATE to hear your changes',
      );
      await shot(2, 'programmed');

      // A take: REC (T), the count-in on the LCD (checked from its record below: it lasts one bar, a
      // loaded page may draw it between two looks), then the take.
      await page.keyboard.press('KeyT');
      await page.waitForFunction(() => document.getElementById('lcd-state')!.textContent === 'recording', undefined, {
        timeout: 20_000,
      });
      await shot(3, 'recording');
      // A tap once the take's playhead, on the box's clock, has reached each quarter of bar 1. Waiting for the
      // grid's grey key to be on exactly that step could miss its 125 ms; "reached" cannot. A late tap lands on
      // a later step of the same take, which is still a take of taps.
      const take = box.box.capture.recorder.window;
      expect(take, 'the take has its window').not.to.equal(null);
      const takeStep = (): number => Math.floor((box!.clock.now() - take!.start) / take!.stepDuration);
      for (const k of [0, 4, 8, 12]) {
        await eventually(
          () => takeStep() >= k,
          () => `the take's step ${k} (it is at step ${takeStep()})`,
        );
        await page.keyboard.press(k % 8 === 0 ? 'KeyK' : 'KeyJ');
      }
      await page.waitForSelector('#pad[data-take="idle"]', { timeout: 20_000 });
      await page.waitForFunction(() => /take recorded/.test(document.getElementById('messages')!.textContent ?? ''));
      expect(box.box.capture.state.groove, 'the box has the groove').not.to.equal(null);

      // GENERATE (G): one message when the loop lands. The page counts landed loops by the snapshot's
      // `generations` (a fast generation can begin and end between two frames, so "generating" may never show).
      const generations = box.box.snapshot().generations;
      await page.keyboard.press('KeyG');
      await page.waitForFunction(
        () => /generated a new loop/.test(document.getElementById('messages')!.textContent ?? ''),
        undefined,
        { timeout: 60_000 },
      );
      expect(box.box.snapshot().generations, 'one more loop landed').to.be.above(generations);
      await shot(4, 'generated');

      // PLAY (Enter): the page's own kit schedules the loop's hits on the box's loop clock: wait until its
      // audio context was handed kick and snare in both bars (a whole loop, 4 s at 120 BPM).
      await page.keyboard.press('Enter');
      await page.waitForFunction(
        ([kick, snare]) => {
          const notes = (
            window as unknown as { groovebox: { audio: { scheduledNotes: { step: number; drum: number }[] } } }
          ).groovebox.audio.scheduledNotes;
          const has = (drum: number, bar: number): boolean =>
            notes.some((n) => n.drum === drum && Math.floor(n.step / 16) === bar);
          return has(kick, 0) && has(kick, 1) && has(snare, 0) && has(snare, 1);
        },
        [KICK, SNARE],
        { timeout: 30_000 },
      );
      await page.waitForFunction(() => document.getElementById('lcd-step')!.textContent !== '–');
      await shot(5, 'playing');

      const seen = await page.evaluate(
        () => (window as unknown as { groovebox: { lcdSeen: string[] } }).groovebox.lcdSeen,
      );
      expect(
        seen.some((s) => /^count-in [1-4]$/.test(s)),
        `the LCD counted in (${seen.join(' | ')})`,
      ).to.equal(true);
      expect(seen, 'the LCD said recording').to.include('recording');

      const loop = box.box.loop;
      // What the page's audio scheduled is the loop's hits, nothing else.
      const scheduled = await page.evaluate(() =>
        (
          window as unknown as { groovebox: { audio: { scheduledNotes: { step: number; drum: number }[] } } }
        ).groovebox.audio.scheduledNotes.map((n) => [n.step, n.drum]),
      );
      const hits = new Set(loop.toJSON().notes.map((n) => `${n[0]}:${n[1]}`));
      expect(
        scheduled.filter(([step, drum]) => !hits.has(`${step}:${drum}`)),
        'scheduled hits not in the loop',
      ).to.deep.equal([]);
      for (const drum of [KICK, SNARE]) {
        const steps = stepsOf(loop, drum);
        expect(
          steps.some((s) => s < 16),
          `drum ${drum} plays in bar 1 (${steps})`,
        ).to.equal(true);
        expect(
          steps.some((s) => s >= 16),
          `drum ${drum} plays in bar 2 (${steps})`,
        ).to.equal(true);
      }
      const unspecified = [2, 3, 4, 5, 6, 8].filter((d) => stepsOf(loop, d).length > 0);
      expect(unspecified.length, 'at least one drum left to the model plays').to.be.at.least(1);

      // The download is the same loop.
      const bytes = await page.evaluate(async () =>
        Array.from(
          new Uint8Array(await (await fetch(document.querySelector<HTMLAnchorElement>('#export')!.href)).arrayBuffer()),
        ),
      );
      const [exported] = readPatterns(Uint8Array.from(bytes), 'export.mid');
      for (const drum of [KICK, SNARE])
        expect(
          stepsOf(exported, drum).some((s) => s >= 16),
          `export.mid: drum ${drum} in bar 2`,
        ).to.equal(true);

      expect(browser.errors).to.deep.equal([]);
      expect(await page.evaluate(() => document.body.dataset.errors ?? '0')).to.equal('0');
    });
  });
}
