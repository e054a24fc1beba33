import fs from 'node:fs';
import { chromium, type BrowserContext, type Page, type ViewportSize } from 'playwright-core';
import { tempDir } from './box-fixtures.js';

/** Debian's package: playwright-core brings no browser of its own. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Flags every panel test can share: headless without a sandbox or a GPU, and
 * nothing Chromium would start on its own (updates, sync, QUIC) to compete
 * with the page on a loaded machine.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * A before-hook for a suite that drives Chromium: where it is not installed
 * the suite is skipped with a visible reason, not passed in silence; with
 * GROOVEBOX_REQUIRE_BROWSER=1 (CI) that is a failure instead.
 */
export function skipWithoutChromium(this: Mocha.Context): void {
  if (fs.existsSync(CHROMIUM)) return;
  const reason = `${CHROMIUM} not found (apt-get install -y chromium)`;
  if (process.env.GROOVEBOX_REQUIRE_BROWSER === '1')
    throw new Error(`${this.test?.parent?.fullTitle() ?? 'browser test'}: ${reason}, and GROOVEBOX_REQUIRE_BROWSER=1`);
  console.log(`      skipped: ${reason}; set GROOVEBOX_REQUIRE_BROWSER=1 to make this a failure`);
  this.skip();
}

export interface ChromiumPage {
  context: BrowserContext;
  page: Page;
  /** What went wrong inside the page: its uncaught errors, and with `consoleErrors` its console errors. */
  errors: string[];
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/**
 * Headless Chromium on a fresh profile of its own, with the page the test
 * drives. `initScript` runs in the page before its own scripts on every load.
 */
export async function launchChromium(
  options: {
    args?: readonly string[];
    viewport?: ViewportSize;
    hasTouch?: boolean;
    initScript?: string;
    consoleErrors?: boolean;
  } = {},
): Promise<ChromiumPage> {
  const profile = tempDir('groovebox-chromium-');
  const removeProfile = (): void => fs.rmSync(profile, { recursive: true, force: true });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
      headless: true,
      // Set only when given, so the others keep Playwright's default viewport.
      ...(options.viewport ? { viewport: options.viewport } : {}),
      hasTouch: options.hasTouch ?? false,
    });
  } catch (err) {
    removeProfile();
    throw err;
  }
  let page: Page;
  try {
    if (options.initScript !== undefined) await context.addInitScript(options.initScript);
    page = context.pages()[0] ?? (await context.newPage());
  } catch (err) {
    await context.close().catch(() => {});
    removeProfile();
    throw err;
  }
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  if (options.consoleErrors)
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      removeProfile();
    },
  };
}
