// The page's files: which routes serve which file, and reading them once at start.

import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../paths.js';
import { PanelConfigError } from './panel-options.js';

/** The page folder, found from the project root so the compiled server (dist/) serves the source files. */
export const PAGE_DIR = path.join(PROJECT_ROOT, 'firmware-ts', 'panel', 'page');
/** The page's script, bundled from page/panel.ts by `npm run build` (esbuild). */
export const PAGE_BUILD_DIR = path.join(PROJECT_ROOT, 'dist', 'panel-page');

/**
 * The files the server can send. Fixed routes to fixed names: nothing a
 * request says ever becomes part of a file path.
 */
export const STATIC_FILES: Readonly<Record<string, { file: string; type: string; built?: true }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/panel.js': { file: 'panel.js', type: 'text/javascript; charset=utf-8', built: true },
  '/panel.css': { file: 'panel.css', type: 'text/css; charset=utf-8' },
  /** The page microphone's audio worklet (page/mic-worklet.ts), bundled beside panel.js. */
  '/mic-worklet.js': { file: 'mic-worklet.js', type: 'text/javascript; charset=utf-8', built: true },
};

export function readPage(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const { file, built } of Object.values(STATIC_FILES)) {
    if (files.has(file)) continue;
    const where = path.join(built ? PAGE_BUILD_DIR : PAGE_DIR, file);
    try {
      files.set(file, fs.readFileSync(where));
    } catch (err) {
      const hint = built ? '; run npm run build' : '';
      throw new PanelConfigError(
        `panel: cannot read the page file ${where} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})${hint}`,
      );
    }
  }
  return files;
}
