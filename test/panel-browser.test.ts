import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { GenerationEngine } from '../firmware-ts/engine/engine.js';
import { GestureCapture } from '../firmware-ts/gestures/capture.js';
import { toModelGestures } from '../firmware-ts/gestures/state.js';
import { writeModelFiles } from '../firmware-ts/ml/model-io.js';
import { initBackend } from '../firmware-ts/ml/runtime.js';
import { MODEL_CONFIGS, type ModelConfig } from '../firmware-ts/model/config.js';
import { disposeParams, initParams } from '../firmware-ts/model/params.js';
import { reconstructionsToJSON, type PanelSnapshot } from '../firmware-ts/panel/protocol.js';
import { PanelServer } from '../firmware-ts/panel/server.js';
import { PROJECT_ROOT } from '../firmware-ts/paths.js';
import { Pattern } from '../firmware-ts/pattern/pattern.js';
import { SystemClock } from '../firmware-ts/time/clock.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACT = path.join(PROJECT_ROOT, 'test-artifacts', 'panel.png');
/** The README's picture; rewritten only on request so a test run never dirties the checkout. */
const DOCS_SCREENSHOT = path.join(PROJECT_ROOT, 'docs', 'panel.png');

/** The 11-input model's structure with tiny widths and untrained weights: real worker, real decoder, seconds to load. */
function writeTinyModel(dir: string): void {
  const full = MODEL_CONFIGS.ag11;
  const config: ModelConfig = {
    ...full,
    factors: full.factors.map((f) => ({ ...f, units: 8, latent: 2 })),
    decoder: { ...full.decoder, units: 16, auxUnits: 8 },
  };
  const params = initParams(config, 7);
  writeModelFiles(dir, config, params, { note: 'untrained, for the panel browser test' });
  disposeParams(params);
}

/**
 * The panel's side of the box, composed the way the daemon does: the gesture
 * code attached to the panel's devices, GENERATE to the engine in its worker,
 * the state published to the pages.
 */
class PanelRig {
  readonly clock = new SystemClock();
  readonly server = new PanelServer({ port: 0, clock: this.clock });
  readonly capture = new GestureCapture({ clock: this.clock, bpm: () => 120 });
  readonly engine: GenerationEngine;
  loop = new Pattern();
  generated = false;
  reconstructions: PanelSnapshot['reconstructions'] = null;
  status: string[] = ['ready'];
  #timer: NodeJS.Timeout | null = null;

  constructor(modelDir: string) {
    this.engine = new GenerationEngine({ modelDir, backend: 'cpu' });
    this.capture.attach(this.server.devices);
    this.capture.onChange((state, action) => {
      // Until the model has played, the loop is the score as written (the box's plain step sequencer).
      if (!this.generated) this.loop = scoreLoop(state.scores);
      this.say(action);
    });
    this.server.devices.buttons.onButton((e) => {
      if (e.button === 'generate' && e.pressed) void this.generate();
    });
  }

  async start(): Promise<string> {
    await this.engine.start();
    const url = await this.server.start();
    // The LED refresh: count-in and take colours change with time, not only with events.
    this.#timer = setInterval(() => this.publish(), 50);
    return url;
  }

  async generate(): Promise<void> {
    const g = toModelGestures(this.capture.state);
    const result = await this.engine.generate({ drums: g.drumScores, groove: g.groove, accent: g.accent }, { seed: 1 + this.status.length });
    this.loop = result.pattern;
    this.generated = true;
    this.reconstructions = reconstructionsToJSON(result.reconstructions);
    this.capture.setInterpretation({ scores: result.reconstructions.drums?.map((r) => r ?? new Float32Array(32)), groove: result.reconstructions.groove, accent: result.reconstructions.accent });
    this.say(`generated ${result.pattern.hitCount()} notes in ${Math.round(result.ms)} ms`);
  }

  say(line: string): void {
    this.status.unshift(line);
    this.status.length = Math.min(this.status.length, 8);
    this.publish();
  }

  publish(): void {
    const leds = this.capture.colors(null);
    void this.server.devices.grid.show(leds);
    this.server.publish({
      leds, playhead: null, playing: false, bpm: 120, page: this.capture.ui.bar, mode: this.capture.ui.mode, drum: this.capture.ui.drum,
      gestures: this.capture.state, pattern: this.loop.toJSON(), reconstructions: this.reconstructions, model: 'ag11-tiny',
      models: ['ag11-tiny'], take: this.capture.recorder.phase(),
      generating: false, status: this.status,
    });
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.server.close();
    await this.engine.stop();
  }
}

function scoreLoop(scores: (number[] | null)[]): Pattern {
  const p = new Pattern();
  scores.forEach((row, drum) => row?.forEach((v, step) => { if (v > 0.5) p.set(step, drum, 0.8); }));
  return p;
}

const rollNotes = (page: Page): Promise<number> => page.locator('#roll').evaluate((el) => Number((el as HTMLElement).dataset.notes));
const signature = (page: Page): Promise<string> => page.locator('#roll').evaluate((el) => (el as HTMLElement).dataset.signature ?? '');

describe('panel: in headless Chromium', function () {
  this.timeout(90_000);
  let rig: PanelRig | null = null;
  let context: BrowserContext | null = null;
  let userDataDir = '';
  let modelDir = '';

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      const reason = `${CHROMIUM} not found (apt-get install -y chromium)`;
      if (process.env.GROOVEBOX_REQUIRE_BROWSER === '1') throw new Error(`panel browser test: ${reason}, and GROOVEBOX_REQUIRE_BROWSER=1`);
      console.log(`      skipped: ${reason}; set GROOVEBOX_REQUIRE_BROWSER=1 to make this a failure`);
      this.skip();
    }
    await initBackend('cpu');
    modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-panel-model-'));
    writeTinyModel(modelDir);
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-chromium-'));
  });

  after(async () => {
    await context?.close();
    await rig?.close();
    for (const dir of [userDataDir, modelDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('toggles steps, taps a groove, generates, and the drum-roll follows', async () => {
    rig = new PanelRig(modelDir);
    const url = await rig.start();
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1280, height: 860 } });
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
    await page.goto(url);
    await page.waitForSelector('body[data-connected="1"]');

    // Kick on the four quarters of bar 1: four notes in the roll, the keys lit in the kick's colour.
    for (const key of [0, 4, 8, 12]) await page.click(`#grid .key[data-key="${key}"]`);
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#roll')!.dataset.notes === '4');
    expect(await page.locator('#grid .key[data-key="4"]').evaluate((el) => getComputedStyle(el).getPropertyValue('--led').trim())).to.equal('rgb(255, 40, 0)');
    expect(await page.locator('#roll .label[data-drum="0"]').getAttribute('data-state')).to.equal('specified');

    // Snare: select it by its name (SHIFT + key 2 on the box), then the backbeat from the keyboard (Q and Z are grid keys 4 and 12).
    await page.click('#roll .label[data-drum="1"]');
    await page.waitForFunction(() => document.getElementById('lcd-drum')!.textContent === 'snare');
    await page.keyboard.press('KeyQ');
    await page.keyboard.press('KeyZ');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#roll')!.dataset.notes === '6');
    // "No crash": SHIFT + the last key marks the drum specified-empty.
    await page.click('#roll .label[data-drum="7"]');
    await page.keyboard.down('ShiftLeft');
    await page.keyboard.press('KeyV');
    await page.keyboard.up('ShiftLeft');
    await page.waitForFunction(() => document.querySelector('#roll .label[data-drum="7"]')!.getAttribute('data-state') === 'empty');

    // A groove: REC, a bar of count-in, then taps from the pad and the keyboard during the two recorded bars.
    await page.click('#buttons .fn[data-button="rec"]');
    await page.waitForSelector('#pad[data-take="recording"]', { timeout: 10_000 });
    const pad = page.locator('#pad');
    for (let i = 0; i < 8; i++) {
      if (i % 2 === 0) await pad.click({ position: { x: 100, y: i % 4 === 0 ? 10 : 90 } });
      else await page.keyboard.press(i % 4 === 1 ? 'KeyK' : 'KeyJ');
      await page.waitForTimeout(240);
    }
    await page.waitForSelector('#pad[data-take="idle"]', { timeout: 10_000 });
    const tapped = await page.locator('#heard .cell').evaluateAll((cells) => cells.slice(9 * 32, 10 * 32).filter((c) => c.querySelector('.note')).length);
    expect(tapped, 'steps of the tapped groove').to.be.within(6, 8);
    expect(rig.capture.state.groove, 'the daemon has the groove').not.to.equal(null);

    // GENERATE: the model's loop replaces the score in the roll, and its reconstructions appear.
    const before = await signature(page);
    await page.click('#buttons .fn[data-button="generate"]');
    await page.waitForFunction((b) => document.querySelector<HTMLElement>('#roll')!.dataset.signature !== b, before, { timeout: 30_000 });
    await page.waitForFunction(() => !document.getElementById('heard')!.classList.contains('none'));
    expect(await signature(page)).to.equal(rig.loop.toJSON().notes.map((n) => n.join(',')).join(';'));
    expect(await rollNotes(page)).to.equal(rig.loop.hitCount());
    expect(pageErrors).to.deep.equal([]);
    expect(await page.evaluate(() => document.body.dataset.errors ?? '0')).to.equal('0');

    // Back to the kick: the grid shows its score again, in its colour.
    await page.click('#roll .label[data-drum="0"]');
    await page.waitForFunction(() => document.getElementById('lcd-drum')!.textContent === 'kick');
    await page.waitForFunction(() => getComputedStyle(document.querySelector('#grid .key[data-key="8"]')!).getPropertyValue('--led').trim() === 'rgb(255, 40, 0)');

    fs.mkdirSync(path.dirname(ARTIFACT), { recursive: true });
    await page.screenshot({ path: ARTIFACT, fullPage: true });
    if (process.env.GROOVEBOX_UPDATE_DOCS_SCREENSHOT === '1') fs.copyFileSync(ARTIFACT, DOCS_SCREENSHOT);
  });
});
