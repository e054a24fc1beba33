import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, defaultConfig, loadConfig } from '../firmware-ts/box/config.js';
import { DRUMS } from '../firmware-ts/pattern/drums.js';
import { MemoryLogs } from '../firmware-ts/support/log.js';
import { SlotCorruptError, SlotStore } from '../firmware-ts/box/slots.js';
import { slotVersion } from './helpers/box-slot-data.js';
import { prng } from './helpers/fixtures.js';

/** Values that are wrong in interesting ways for a config or slot field. */
const JUNK: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1e308,
  -1e308,
  0.5,
  127,
  128,
  65536,
  '',
  ' ',
  'x',
  '../../etc/passwd',
  '\u0000',
  'a'.repeat(5000),
  [],
  [1, 2],
  {},
  { a: { b: { c: 1 } } },
];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value inside a JSON document. */
function paths(value: Json, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...at, i])));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...at, k]));
  return out;
}

/** One seeded mutation: replace or delete a value, add a stray key, or damage the text itself. */
function mutate(doc: Json, random: () => number): string {
  const copy = structuredClone(doc) as Json;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const kind = random();
  if (kind < 0.7) {
    const at = pick(paths(copy).filter((p) => p.length > 0));
    let parent = copy as Record<string | number, Json>;
    for (const k of at.slice(0, -1)) parent = parent[k] as Record<string | number, Json>;
    const key = at[at.length - 1];
    if (random() < 0.2 && !Array.isArray(parent)) delete parent[key];
    else parent[key] = pick(JUNK) as Json;
    return JSON.stringify(copy);
  }
  if (kind < 0.8) {
    (copy as Record<string, Json>)[pick(['evil', '__proto__', 'constructor', 'stateDir2'])] = pick(JUNK) as Json;
    return JSON.stringify(copy);
  }
  const text = JSON.stringify(copy);
  if (kind < 0.9) return text.slice(0, Math.floor(random() * text.length));
  const bytes = [...text];
  for (let n = 1 + Math.floor(random() * 4); n > 0; n--)
    bytes[Math.floor(random() * bytes.length)] = String.fromCharCode(Math.floor(random() * 128));
  return bytes.join('');
}

/** Keys whose default is null that hold a whole number when set (a MIDI channel, a note), not a string. */
const NULLABLE_NUMBERS = new Set(['config.midi.input.channel', 'config.midi.input.accentNote']);

/**
 * An accepted config must have the default's shape: every value the same type as the
 * default one (a number finite; where the default is null, null or a string, or a whole
 * number for NULLABLE_NUMBERS), every object an object. Returns the first path that breaks it, or null.
 */
function offShape(value: unknown, shape: unknown, at = 'config'): string | null {
  if (shape === null && NULLABLE_NUMBERS.has(at))
    return value === null || Number.isInteger(value)
      ? null
      : `${at}: ${JSON.stringify(value)}, expected an integer or null`;
  if (shape === null)
    return value === null || typeof value === 'string'
      ? null
      : `${at}: ${JSON.stringify(value)}, expected a string or null`;
  if (typeof shape === 'object') {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return `${at}: ${JSON.stringify(value)}, expected an object`;
    for (const [key, inner] of Object.entries(shape)) {
      const off = offShape((value as Record<string, unknown>)[key], inner, `${at}.${key}`);
      if (off) return off;
    }
    return null;
  }
  if (typeof value !== typeof shape || (typeof value === 'number' && !Number.isFinite(value)))
    return `${at}: ${JSON.stringify(value)}, expected a ${typeof shape}`;
  return null;
}

/** The drum bindings: one entry per drum, each null or a note 0..127 on a channel 1..16 or any (null). */
function offBindings(bindings: unknown): string | null {
  const at = 'config.midi.input.drums';
  if (!Array.isArray(bindings) || bindings.length !== DRUMS.length)
    return `${at}: ${JSON.stringify(bindings)}, expected one entry per drum`;
  for (const [drum, b] of bindings.entries()) {
    if (b === null) continue;
    const { note, channel } = b as { note: unknown; channel: unknown };
    const noteOk = Number.isInteger(note) && (note as number) >= 0 && (note as number) <= 127;
    const channelOk =
      channel === null || (Number.isInteger(channel) && (channel as number) >= 1 && (channel as number) <= 16);
    if (!noteOk || !channelOk)
      return `${at}[${drum}]: ${JSON.stringify(b)}, expected { note: 0..127, channel: 1..16 or null }`;
  }
  return null;
}

describe('box: fuzzing the config parser and the slot files (seeded)', function () {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-fuzz-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("config: 3,000 mutated files give a config of the default's shape or one ConfigError line naming the file, nothing else", function () {
    const random = prng(2026);
    const file = path.join(dir, 'config.json');
    const defaults = JSON.parse(JSON.stringify(defaultConfig())) as { midi: { input: Record<string, Json> } };
    // The note map is a preset name or per-drum overrides: note-map tests check its forms.
    // The MIDI-in drum bindings are read from an object ({ snare: { note, channel } }) into one entry per drum:
    // checked here by offBindings.
    const shape = structuredClone(defaults) as { midi: { noteMap?: unknown; input: { drums?: unknown } } };
    delete shape.midi.noteMap;
    delete shape.midi.input.drums;
    // What a performer writes: the defaults as a file says them, drum bindings as an object (the loaded
    // config's one-entry-per-drum list is not a file's form, and would refuse nearly every mutation).
    const valid = structuredClone(defaults) as Json & { midi: { input: Record<string, Json> } };
    valid.midi.input.channel = 10;
    valid.midi.input.accentNote = 127;
    valid.midi.input.drums = { snare: { note: 38, channel: null }, ride: { note: 51, channel: 10 } };
    let accepted = 0,
      refused = 0;
    for (let n = 0; n < 3000; n++) {
      fs.writeFileSync(file, mutate(valid, random));
      try {
        const config = loadConfig(file, {}, () => {});
        const off = offShape(config, shape) ?? offBindings(config.midi.input.drums);
        expect(off, `case ${n}: accepted off shape`).to.equal(null);
        accepted++;
      } catch (err) {
        if (!(err instanceof ConfigError))
          throw new Error(`case ${n}: ${(err as Error)?.name}: ${(err as Error)?.message}`, { cause: err });
        expect(err.message, `case ${n}`).to.contain(file);
        expect(err.message.includes('\n'), `case ${n}: one line`).to.equal(false);
        refused++;
      }
    }
    console.log(`      (config fuzz: 3000 cases, ${accepted} accepted, ${refused} refused with one line)`);
    expect(refused).to.be.greaterThan(1000);
    expect(accepted, 'mutations the parser accepts, each checked for shape').to.be.greaterThan(300);
  });

  it('slots: 1,000 damaged slot files load as valid or are kept aside byte for byte as .corrupt, never lost', async function () {
    const random = prng(7);
    const logs = new MemoryLogs();
    const store = await SlotStore.open(path.join(dir, 'state'), logs.factory('slots'));
    await store.save(0, slotVersion(0, 1));
    const file = store.slotFile(0);
    const valid = JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
    let loaded = 0,
      keptAside = 0;
    for (let n = 0; n < 1000; n++) {
      const text = mutate(valid, random);
      fs.writeFileSync(file, text);
      try {
        await store.load(0);
        loaded++;
      } catch (err) {
        if (!(err instanceof SlotCorruptError))
          throw new Error(`case ${n}: ${(err as Error)?.name}: ${(err as Error)?.message}`, { cause: err });
        expect(fs.readFileSync(err.keptAs, 'utf8'), `case ${n}: the damaged file is kept as it was`).to.equal(text);
        expect(fs.existsSync(file), `case ${n}: the slot reads as empty afterwards`).to.equal(false);
        fs.rmSync(err.keptAs);
        keptAside++;
      }
    }
    console.log(`      (slot fuzz: 1000 cases, ${loaded} loaded, ${keptAside} kept aside as .corrupt)`);
    expect(keptAside).to.be.greaterThan(300);
  });
});
