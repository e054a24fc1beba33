import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-file.js';
import { setAside } from './set-aside.js';

/**
 * A small file the box keeps a performer's choice in (what MIDI-learn learned,
 * the microphone's sensitivity): read once at boot, where no file means nothing
 * kept yet, and written in the background, one write after the other, so the
 * last choice is the last written and nothing on a performer's path waits on
 * the disk. A file that cannot be understood is set aside, not written over.
 */
export class KeptFile {
  readonly path: string;
  #writing: Promise<void> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
  }

  /** The file's text; null when there is none yet. Any other failure to read is thrown. */
  async read(): Promise<string | null> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /**
   * Moves a file its reader refused out of the way (kept-file.corrupt), so the next
   * write does not destroy what the performer may have edited by hand; returns the
   * sentence that says where it went, or why it stayed. Meant for right after `read`,
   * before the first write (the box reads its kept files at boot, before anything can
   * change them); it still goes through the write queue, so no write runs beside the
   * rename, and a write asked for after it finds the name free.
   */
  setAside(): Promise<string> {
    // The queue never rejects (a failed write is reported, not thrown), so this runs after every earlier write.
    const moved = this.#writing
      .then(() => setAside(this.path))
      .then(
        (target) => `kept as ${target}`,
        (error: Error) => `could not be set aside (${error.message})`,
      );
    this.#writing = moved.then(() => {});
    return moved;
  }

  /** Queues a write after those before it; one that fails goes to `failed`, never thrown. */
  write(text: string, failed: (error: Error) => void): void {
    this.#writing = this.#writing.then(() => writeFileAtomic(this.path, text)).catch(failed);
  }

  /** Resolves once every queued write has landed or failed. */
  settled(): Promise<void> {
    return this.#writing;
  }
}
