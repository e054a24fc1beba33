import fs from 'node:fs/promises';
import path from 'node:path';
import * as v from 'valibot';
import type { GestureState } from '../controls/state.js';
import { gestureStateFromJSON } from '../controls/state-json.js';
import { Pattern, type PatternJSON } from '../pattern/pattern.js';
import { MAX_BPM, MIN_BPM } from '../sequencer/tempo.js';
import { removeStaleTemps, writeFileAtomic } from '../storage/atomic-file.js';
import { exists, setAside } from '../storage/set-aside.js';
import { jsonErrorText } from '../storage/json-error.js';
import { BOX_MODELS } from './config.js';
import type { Log } from '../support/log.js';
import * as validation from '../support/validate.js';
import { validate } from '../support/validate.js';
import { SLOT_COUNT } from '../panel/protocol.js';

/** One definition, in the browser-safe protocol the panel page shares; re-exported for the box's own modules. */
export { SLOT_COUNT };
export const SLOT_FORMAT = 'groovebox-slot-1';

/** What a slot keeps: what the performer said, what the model made of it, and how it was playing. */
export type SlotData = Omit<v.InferOutput<typeof SLOT_SCHEMA>, 'format'>;

/** The working state additionally remembers which slot it came from. */
export interface WorkingState extends SlotData {
  slot: number | null;
}

/** A slot or state file that is there but cannot be read. It has been moved aside to `keptAs`. */
export class SlotCorruptError extends Error {
  override name = 'SlotCorruptError';
  readonly corrupt = true;
  constructor(
    readonly file: string,
    readonly keptAs: string,
    reason: string,
  ) {
    super(`${file}: ${reason}; kept as ${keptAs}`);
  }
}

/**
 * The 16 slots and the working state on disk:
 *   <stateDir>/current.json          the working state, saved on changes and at shutdown
 *   <stateDir>/slots/NN/slot.json    slot NN (01..16), written when the performer saves
 *   <stateDir>/slots/NN/*.mid        loops exported from that slot
 * Every write is atomic (writeFileAtomic). A file that does not parse or
 * does not validate is renamed to *.corrupt (never deleted) and reported in
 * one line; the slot then reads as empty.
 * API slot numbers are 0..15 (as on the panel); folders are 01..16 (as printed on the box).
 */
export class SlotStore {
  readonly dir: string;
  readonly #log: Log;
  /** Each file's reads and writes run one at a time, in the order asked, so the last save wins and a read sees it. */
  readonly #queues = new Map<string, FileQueue>();
  #filled: boolean[] = new Array(SLOT_COUNT).fill(false);

  private constructor(dir: string, log: Log) {
    this.dir = dir;
    this.#log = log;
  }

  /** Creates the folders, clears leftovers of cut-off writes and notes which slots hold something. */
  static async open(dir: string, log: Log): Promise<SlotStore> {
    const store = new SlotStore(path.resolve(dir), log);
    try {
      await fs.mkdir(path.join(store.dir, 'slots'), { recursive: true });
    } catch (err) {
      throw new Error(
        `state folder ${store.dir}: cannot create it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); set stateDir in the config or --state-dir`,
        { cause: err },
      );
    }
    const stale = [...(await removeStaleTemps(store.dir))];
    for (let n = 0; n < SLOT_COUNT; n++) {
      stale.push(...(await removeStaleTemps(store.slotDir(n))));
      store.#filled[n] = await exists(store.slotFile(n));
    }
    if (stale.length > 0)
      log.info(
        `removed ${stale.length} unfinished write(s) left by an earlier stop (the files they were replacing are intact)`,
      );
    return store;
  }

  slotDir(slot: number): string {
    return path.join(this.dir, 'slots', String(checkSlot(slot) + 1).padStart(2, '0'));
  }

  slotFile(slot: number): string {
    return path.join(this.slotDir(slot), 'slot.json');
  }

  get currentFile(): string {
    return path.join(this.dir, 'current.json');
  }

  /** Which slots hold something (cached: no disk access, safe to call from the timing thread). */
  filled(): boolean[] {
    return this.#filled.slice();
  }

  async save(slot: number, data: SlotData): Promise<void> {
    const file = this.slotFile(slot);
    // Queued at once (the folder is made inside the queue): an await before queuing would let
    // overlapping saves of one slot reach the queue out of order, and an older one win.
    await this.#write(file, encode(data), path.dirname(file));
    this.#filled[slot] = true;
  }

  /** The slot's content, or null when empty. A corrupt file throws SlotCorruptError after being moved aside. */
  async load(slot: number): Promise<SlotData | null> {
    const file = this.slotFile(slot);
    let read: { data: SlotData } | null;
    try {
      read = await this.#read(file, `slot ${slot + 1}`);
    } catch (err) {
      // Moved aside: the slot page must show it empty now.
      if (err instanceof SlotCorruptError) this.#filled[slot] = false;
      throw err;
    }
    this.#filled[slot] = read !== null;
    return read?.data ?? null;
  }

  async saveWorking(state: WorkingState): Promise<void> {
    const { slot, ...data } = state;
    if (slot !== null) checkSlot(slot);
    await this.#write(this.currentFile, encode(data, { slot }));
  }

  async loadWorking(): Promise<WorkingState | null> {
    const file = this.currentFile;
    const read = await this.#read(file, 'working state');
    if (!read) return null;
    const slot = (read.json as { slot?: unknown }).slot;
    return {
      ...read.data,
      slot: typeof slot === 'number' && Number.isInteger(slot) && slot >= 0 && slot < SLOT_COUNT ? slot : null,
    };
  }

  /**
   * Waits until every save asked for so far, and any asked for meanwhile, has
   * reached the disk or failed (shutdown). Never throws: each failure went to
   * the caller of that save.
   */
  async flush(): Promise<void> {
    while (this.#queues.size > 0) await Promise.all([...this.#queues.values()].map((queue) => queue.tail));
  }

  /**
   * Queues the file's next content. Saves made while the file is busy share one
   * waiting write holding the newest text, so a flood of saves holds at most two
   * texts (the one being written and the newest) and costs at most one more
   * write. Resolves once this text, or a newer one, is on disk.
   */
  #write(file: string, text: string, makeDir?: string): Promise<void> {
    const queue = this.#queue(file);
    if (queue.waiting) {
      queue.waiting.text = text;
      return queue.waiting.done;
    }
    const waiting: WaitingWrite = {
      text,
      done: this.#run(file, queue, async () => {
        // From here on, a newer save waits behind this write instead of changing it.
        queue.waiting = null;
        if (makeDir) await fs.mkdir(makeDir, { recursive: true });
        await writeFileAtomic(file, waiting.text);
      }),
    };
    queue.waiting = waiting;
    return waiting.done;
  }

  /**
   * Reads after the saves asked for before it. Moving a corrupt file aside
   * happens in the same turn, so it can only ever move the file it read,
   * never one a save put there since.
   */
  #read(file: string, what: string): Promise<{ data: SlotData; json: unknown } | null> {
    return this.#run(file, this.#queue(file), () => this.#readNow(file, what));
  }

  #queue(file: string): FileQueue {
    let queue = this.#queues.get(file);
    if (!queue) {
      queue = { tail: Promise.resolve(), waiting: null };
      this.#queues.set(file, queue);
    }
    return queue;
  }

  /** Runs `operation` after everything queued for the file; the queue is dropped once idle. */
  #run<T>(file: string, queue: FileQueue, operation: () => Promise<T>): Promise<T> {
    const result = queue.tail.then(operation);
    const tail = result.then(
      () => {},
      () => {},
    );
    queue.tail = tail;
    void tail.then(() => {
      if (queue.tail === tail) this.#queues.delete(file);
    });
    return result;
  }

  async #readNow(file: string, what: string): Promise<{ data: SlotData; json: unknown } | null> {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new Error(
        `${what}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        { cause: err },
      );
    }
    try {
      const json: unknown = JSON.parse(text);
      return { data: decode(json, file), json };
    } catch (err) {
      const keptAs = await setAside(file);
      const error = new SlotCorruptError(file, keptAs, `${what} is unreadable (${jsonErrorText(err)})`);
      this.#log.error(`${error.message}; starting that ${what} empty`);
      throw error;
    }
  }
}

/** One file's turn-taking: `tail` settles (never rejects) when the last queued operation has. */
interface FileQueue {
  tail: Promise<void>;
  /** The queued write that has not started: newer saves replace its text and share its promise. */
  waiting: WaitingWrite | null;
}

interface WaitingWrite {
  text: string;
  done: Promise<void>;
}

function encode(data: SlotData, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ format: SLOT_FORMAT, savedAt: new Date().toISOString(), ...extra, ...data })}\n`;
}

/**
 * A slot file's fields (other keys, like savedAt, are left out). The gestures and the loop check
 * themselves, naming their own fields (gestures.scores, loop.notes[0]).
 */
const SLOT_SCHEMA = validation.objectWith(
  {
    format: v.literal(SLOT_FORMAT, `"${SLOT_FORMAT}"`),
    gestures: v.pipe(
      v.unknown(),
      v.transform((json): GestureState => gestureStateFromJSON(json, 'gestures')),
    ),
    /** The generated (or programmed) loop; null when nothing was generated yet. */
    loop: v.nullable(
      v.pipe(
        v.unknown(),
        v.transform((json): PatternJSON => Pattern.fromJSON(json, 'loop').toJSON()),
      ),
    ),
    bpm: validation.numberIn(MIN_BPM, MAX_BPM, `${MIN_BPM}..${MAX_BPM}`),
    model: validation.oneOf(BOX_MODELS),
    temperature: validation.numberIn(0, 3, '0..3'),
    /** The seed that made `loop` (so a loop can be made again from the same gestures). */
    seed: v.nullable(validation.integerIn(0, Number.MAX_VALUE, 'a non-negative integer or null')),
  },
  'a JSON object',
);

/** Checks every field of a slot file; errors name the field. */
export function decode(json: unknown, where: string): SlotData {
  if (!validation.isPlainObject(json)) throw new TypeError(`${where}: expected a JSON object`);
  const { format: _format, ...data } = validate(
    SLOT_SCHEMA,
    json,
    (problem) => new TypeError(`${problem.path}: expected ${problem.expected}, got ${JSON.stringify(problem.value)}`),
  );
  return data;
}

function checkSlot(slot: number): number {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT)
    throw new RangeError(`slot ${slot}: expected 0..${SLOT_COUNT - 1}`);
  return slot;
}
