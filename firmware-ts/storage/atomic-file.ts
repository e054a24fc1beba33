import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

let counter = 0;

/** Marks the temporary files of writes in progress; a file with it in its name is never the user's data. */
export const TEMP_MARK = '.tmp-';

/**
 * Replaces `file` with `bytes` so that at every instant (power cut, SIGKILL)
 * the file holds either the old content or the new, never a mix:
 *   1. write a temporary file in the same folder (rename is atomic only within a file system),
 *   2. fsync it, so its blocks are on the card before the name points at them,
 *   3. rename it over the old name (atomic in POSIX),
 *   4. fsync the folder, so the rename itself survives the power cut.
 * Without step 2, ext4 may commit the rename before the data and leave a zero-length file.
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array | string): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `${path.basename(file)}${TEMP_MARK}${process.pid}-${++counter}`);
  let handle: fs.FileHandle | null = null;
  try {
    handle = await fs.open(temp, 'w', 0o644);
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = null;
    await fs.rename(temp, file);
  } catch (err) {
    await handle?.close().catch(() => {});
    await fs.unlink(temp).catch(() => {});
    throw err;
  }
  await syncDir(dir);
}

/**
 * The same guarantee, blocking: for tools that write big files once and have
 * no timing loop to keep alive (training checkpoints, model files, the dataset cache).
 */
export function writeFileAtomicSync(file: string, bytes: Uint8Array | string): void {
  const dir = path.dirname(file);
  const temp = path.join(dir, `${path.basename(file)}${TEMP_MARK}${process.pid}-${++counter}`);
  try {
    const fd = fsSync.openSync(temp, 'w', 0o644);
    try {
      fsSync.writeFileSync(fd, bytes);
      fsSync.fsyncSync(fd);
    } finally {
      fsSync.closeSync(fd);
    }
    fsSync.renameSync(temp, file);
  } catch (err) {
    fsSync.rmSync(temp, { force: true });
    throw err;
  }
  syncDirSync(dir);
}

/** fsync on a directory, blocking: see syncDir. */
export function syncDirSync(dir: string): void {
  const dirFd = fsSync.openSync(dir, 'r');
  try {
    fsSync.fsyncSync(dirFd);
  } finally {
    fsSync.closeSync(dirFd);
  }
}

/** fsync on a directory makes its entries (a rename, a new file) durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Removes temporary files left by writes that were cut off (a kill, a power
 * cut). They are incomplete copies: the file they were meant to replace is
 * intact. Returns the names removed.
 */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const stale = names.filter((n) => n.includes(TEMP_MARK));
  for (const name of stale) await fs.unlink(path.join(dir, name)).catch(() => {});
  return stale;
}
