import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEMP_MARK } from '../firmware-ts/storage/atomic-file.js';
import { MemoryLogs } from '../firmware-ts/support/log.js';
import { decode, SlotCorruptError, SlotStore } from '../firmware-ts/box/slots.js';
import { mulberry32 } from '../firmware-ts/model/random.js';
import { slotVersion, SLOTS_UNDER_TEST } from './helpers/box-slot-data.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const tempDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-slots-'));

/** The seed (= version) of the slot file on disk now. */
const seedOnDisk = (file: string): number => JSON.parse(fs.readFileSync(file, 'utf8')).seed;

/** Counts the atomic writes that replace `file` (each ends in a rename onto it). */
async function countingWritesOf<T>(file: string, body: (writes: () => number) => Promise<T>): Promise<T> {
  const rename = fsp.rename;
  let writes = 0;
  fsp.rename = (from, to) => {
    if (to === file) writes++;
    return rename(from, to);
  };
  try {
    return await body(() => writes);
  } finally {
    fsp.rename = rename;
  }
}

describe('box: slots on disk', () => {
  it('saves and loads the 16 slots and the working state, and knows which are filled', async () => {
    const dir = tempDir();
    const logs = new MemoryLogs();
    const store = await SlotStore.open(dir, logs.factory('slots'));
    expect(store.filled()).to.deep.equal(new Array(16).fill(false));
    await store.save(0, slotVersion(0, 1));
    await store.save(15, slotVersion(15, 2));
    await store.saveWorking({ ...slotVersion(3, 3), slot: 15 });
    expect(await store.load(0)).to.deep.equal(slotVersion(0, 1));
    expect(await store.load(15)).to.deep.equal(slotVersion(15, 2));
    expect(await store.load(7)).to.equal(null);
    expect(await store.loadWorking()).to.deep.equal({ ...slotVersion(3, 3), slot: 15 });
    expect(fs.existsSync(path.join(dir, 'slots', '16', 'slot.json'))).to.equal(true);
    const reopened = await SlotStore.open(dir, logs.factory('slots'));
    expect(
      reopened
        .filled()
        .map((f, i) => (f ? i : -1))
        .filter((i) => i >= 0),
    ).to.deep.equal([0, 15]);
  });

  it('keeps the last of two overlapping saves of one slot', async () => {
    const store = await SlotStore.open(tempDir(), new MemoryLogs().factory('slots'));
    await Promise.all([
      store.save(2, slotVersion(2, 10)),
      store.save(2, slotVersion(2, 11)),
      store.save(2, slotVersion(2, 12)),
    ]);
    expect((await store.load(2))!.seed).to.equal(12);
  });

  it('a flood of saves to one slot makes at most two writes; each save resolves once its version or a newer one is on disk', async () => {
    const store = await SlotStore.open(tempDir(), new MemoryLogs().factory('slots'));
    const file = store.slotFile(2);
    await countingWritesOf(file, async (writes) => {
      const saves = [store.save(2, slotVersion(2, 1))];
      await new Promise(setImmediate); // the first write is under way: the rest wait behind it
      for (let version = 2; version <= 200; version++) saves.push(store.save(2, slotVersion(2, version)));
      const checked = saves.map((saving, i) =>
        saving.then(() => expect(seedOnDisk(file), `save ${i + 1} resolved`).to.be.at.least(i + 1)),
      );
      await store.flush();
      expect(seedOnDisk(file)).to.equal(200);
      await Promise.all(checked);
      expect(writes()).to.be.at.most(2);
    });
  });

  it('a load or loadWorking right after a save reads what was saved', async () => {
    const store = await SlotStore.open(tempDir(), new MemoryLogs().factory('slots'));
    await store.save(3, slotVersion(3, 1));
    const saving = [
      store.save(3, slotVersion(3, 2)),
      store.save(9, slotVersion(9, 1)),
      store.saveWorking({ ...slotVersion(4, 5), slot: 3 }),
    ];
    expect(await store.load(3)).to.deep.equal(slotVersion(3, 2));
    expect(await store.load(9)).to.deep.equal(slotVersion(9, 1));
    expect(await store.loadWorking()).to.deep.equal({ ...slotVersion(4, 5), slot: 3 });
    await Promise.all(saving);
  });

  it('moving a corrupt slot aside never moves a save made meanwhile', async () => {
    const logs = new MemoryLogs();
    const store = await SlotStore.open(tempDir(), logs.factory('slots'));
    const file = store.slotFile(4);
    // Big, so reading it takes longer than the save: the save lands while the load still reads.
    const corrupt = `{"format":"groovebox-slot-1","gestures":${' '.repeat(8 << 20)}`;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, corrupt);
    const loading = store.load(4).then(
      () => null,
      (err: unknown) => err,
    );
    await store.save(4, slotVersion(4, 7));
    expect(await loading).to.be.instanceOf(SlotCorruptError);
    expect(await store.load(4)).to.deep.equal(slotVersion(4, 7));
    expect(fs.readFileSync(`${file}.corrupt`, 'utf8')).to.equal(corrupt);
    expect(fs.readdirSync(path.dirname(file)).sort()).to.deep.equal(['slot.json', 'slot.json.corrupt']);
    expect(logs.count('slot 5 is unreadable', 'error')).to.equal(1);
  });

  it('flush waits for every write, past one that fails and for saves made while it waits, and does not throw', async () => {
    const store = await SlotStore.open(tempDir(), new MemoryLogs().factory('slots'));
    fs.writeFileSync(store.slotDir(5), 'a file where the slot folder should be');
    const failed = store.save(5, slotVersion(5, 1)).then(
      () => null,
      (err: Error) => err,
    );
    const saved = [
      store.save(0, slotVersion(0, 1)),
      store.save(0, slotVersion(0, 2)),
      store.saveWorking({ ...slotVersion(4, 3), slot: null }),
    ];
    const flushed = store.flush();
    saved.push(store.save(1, slotVersion(1, 4)));
    await flushed;
    expect([seedOnDisk(store.slotFile(0)), seedOnDisk(store.slotFile(1)), seedOnDisk(store.currentFile)]).to.deep.equal(
      [2, 4, 3],
    );
    expect((await failed)?.message).to.match(/EEXIST|ENOTDIR/);
    await Promise.all(saved);
  });

  it('moves a corrupt slot aside as .corrupt (never deleting or overwriting one), says so in one line, and reads the slot as empty', async () => {
    const dir = tempDir();
    const logs = new MemoryLogs();
    const file = (await SlotStore.open(dir, logs.factory('slots'))).slotFile(4);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"format":"groovebox-slot-1","gestures":');
    const store = await SlotStore.open(dir, logs.factory('slots'));
    expect(store.filled()[4], 'a file is there').to.equal(true);
    let error: unknown;
    try {
      await store.load(4);
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(SlotCorruptError);
    expect(store.filled()[4], 'moved aside: the slot page shows it empty').to.equal(false);
    expect((error as Error).message)
      .to.include(file)
      .and.include('kept as')
      .and.include('.corrupt');
    expect(fs.readFileSync(`${file}.corrupt`, 'utf8')).to.equal('{"format":"groovebox-slot-1","gestures":');
    expect(logs.count('slot 5 is unreadable', 'error')).to.equal(1);
    expect(await store.load(4)).to.equal(null);
    // a second bad file does not overwrite the first one kept aside
    fs.writeFileSync(file, JSON.stringify({ ...slotVersion(4, 1), format: 'groovebox-slot-1', bpm: 9000 }));
    await store.load(4).catch(() => {});
    expect(fs.readFileSync(`${file}.corrupt`, 'utf8')).to.equal('{"format":"groovebox-slot-1","gestures":');
    expect(fs.readFileSync(`${file}.corrupt-1`, 'utf8')).to.include('9000');
    expect(logs.lines.filter((l) => l.level === 'error').map((l) => l.message)[1]).to.match(
      /bpm: expected 40\.\.240, got 9000/,
    );
  });

  it('names the field when a slot is valid JSON but wrong', () => {
    const good = JSON.parse(JSON.stringify({ format: 'groovebox-slot-1', ...slotVersion(1, 1) }));
    expect(decode(good, 'x')).to.deep.equal(slotVersion(1, 1));
    expect(() => decode({ ...good, gestures: { ...good.gestures, scores: [] } }, 'x')).to.throw(
      /gestures\.scores: expected 9 entries/,
    );
    expect(() => decode({ ...good, loop: { notes: [[40, 0, 1, 0]] } }, 'x')).to.throw(/loop\.notes\[0\]: step 40/);
    expect(() => decode({ ...good, model: '../../etc' }, 'x')).to.throw(
      /model: expected one of ag11s, ag11, ag2, baseline/,
    );
    expect(() => decode({ ...good, format: 'other' }, 'x')).to.throw(/format: expected "groovebox-slot-1"/);
  });

  it('survives 100 SIGKILLs at random points of saving: every slot loads, old or new, never broken', async function () {
    const dir = tempDir();
    const seed = Number(process.env.GROOVEBOX_KILL_SEED ?? 7);
    const random = mulberry32(seed);
    const child = path.join(here, 'helpers', 'box-slot-writer.child.js');
    const latest = new Array(SLOTS_UNDER_TEST + 1).fill(0);
    let interrupted = 0;
    let version = 1;
    for (let kill = 0; kill < 100; kill++) {
      const proc = spawn(process.execPath, [child, dir, String(version)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      proc.stderr.on('data', (d) => {
        stderr += d;
      });
      await new Promise<void>((resolve, reject) => {
        proc.stdout.once('data', () => resolve());
        proc.once('exit', (code) => reject(new Error(`writer exited early (${code}): ${stderr}`)));
      });
      // Up to ~15 ms of saving: a few rounds of writes, so the kill lands anywhere in one.
      await new Promise((resolve) => setTimeout(resolve, random() * 15));
      proc.kill('SIGKILL');
      await new Promise((resolve) => proc.once('exit', resolve));

      const leftovers = [
        dir,
        ...Array.from({ length: SLOTS_UNDER_TEST }, (_, s) => path.join(dir, 'slots', String(s + 1).padStart(2, '0'))),
      ].flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d) : []).filter((n) => n.includes(TEMP_MARK)));
      if (leftovers.length > 0) interrupted++;
      for (let slot = 0; slot <= SLOTS_UNDER_TEST; slot++) {
        const file =
          slot < SLOTS_UNDER_TEST
            ? path.join(dir, 'slots', String(slot + 1).padStart(2, '0'), 'slot.json')
            : path.join(dir, 'current.json');
        if (!fs.existsSync(file)) {
          expect(latest[slot], `slot ${slot} vanished after kill ${kill}`).to.equal(0);
          continue;
        }
        const text = fs.readFileSync(file, 'utf8');
        let data;
        try {
          data = decode(JSON.parse(text), file);
        } catch (err) {
          throw new Error(`kill ${kill}: ${file} is broken: ${(err as Error).message}`, { cause: err });
        }
        const v = data.seed!;
        // exactly the content of one version that was written, and never older than one seen before
        expect(data, `kill ${kill}, slot ${slot}`).to.deep.equal(slotVersion(slot, v));
        expect(v).to.be.at.least(latest[slot]);
        latest[slot] = v;
      }
      version = Math.max(...latest) + 1;
    }
    // Evidence that the kills hit writes in progress (not only the gaps between them).
    expect(interrupted, 'kills that left a write unfinished').to.be.greaterThan(10);
    expect(Math.min(...latest), 'every slot was written at least once').to.be.greaterThan(0);
    // The store, opened again, clears the unfinished writes and loads everything.
    const logs = new MemoryLogs();
    const store = await SlotStore.open(dir, logs.factory('slots'));
    for (let slot = 0; slot < SLOTS_UNDER_TEST; slot++) expect((await store.load(slot))!.seed).to.equal(latest[slot]);
    expect((await store.loadWorking())!.seed).to.equal(latest[SLOTS_UNDER_TEST]);
    const after = fs
      .readdirSync(dir)
      .concat(
        ...Array.from({ length: 16 }, (_, s) =>
          fs.existsSync(store.slotDir(s)) ? fs.readdirSync(store.slotDir(s)) : [],
        ),
      );
    expect(after.filter((n) => n.includes(TEMP_MARK))).to.deep.equal([]);
    this.test!.title += ` (${interrupted} of 100 kills cut a write short)`;
  });
});
