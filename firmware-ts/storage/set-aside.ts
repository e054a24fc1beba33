import fs from 'node:fs/promises';

/**
 * Renames a file the box cannot read out of the way, never over an earlier one
 * (`<file>.corrupt`, then `.corrupt-1`, ...), so that what the performer made
 * is never overwritten by the next save; returns where it went.
 */
export async function setAside(file: string): Promise<string> {
  for (let n = 0; ; n++) {
    const target = n === 0 ? `${file}.corrupt` : `${file}.corrupt-${n}`;
    if (await exists(target)) continue;
    await fs.rename(file, target);
    return target;
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
