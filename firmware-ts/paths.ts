import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project folder (this file runs from dist/firmware-ts/paths.js). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const MODELS_DIR = path.join(PROJECT_ROOT, 'models');

/** Where the dataset lives: --data, else $GROOVEBOX_DATA, else ../shared/datasets/groove. */
export function datasetDir(flag?: string): string {
  return path.resolve(
    flag ?? process.env.GROOVEBOX_DATA ?? path.join(PROJECT_ROOT, '..', 'shared', 'datasets', 'groove'),
  );
}

/** Where derived, rebuildable data goes (not committed). */
export function cacheDir(): string {
  return path.resolve(process.env.GROOVEBOX_CACHE ?? path.join(PROJECT_ROOT, '.cache'));
}
