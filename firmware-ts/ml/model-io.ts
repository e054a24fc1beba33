import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TEMP_MARK, syncDirSync, writeFileAtomicSync } from '../storage/atomic-file.js';
import { jsonErrorText } from '../storage/json-error.js';
import { tf } from './runtime.js';

/**
 * Model files on plain fs (pure tfjs in Node has no file:// IO):
 *   config.json   what to build
 *   weights.bin   every tensor's float32 values, back to back, in `weights` order
 *   manifest.json the weight list (name, shape), the sha256 of weights.bin and
 *                 whatever the writer adds (training facts).
 * The files (and any written alongside, like a checkpoint's state.json) are
 * replaced as one set, so a crash leaves the old set or the new, never a mix.
 */
export interface WeightEntry {
  name: string;
  shape: number[];
}

export interface Manifest {
  format: 'groovebox-model-1';
  weights: WeightEntry[];
  sha256: string;
  bytes: number;
  [extra: string]: unknown;
}

export class ModelFileError extends Error {
  override name = 'ModelFileError';
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/*
 * How a set is replaced: every file is first written (fsync'd) as `<name>.next`,
 * manifest.json.next last; then each is renamed into place, manifest.json last.
 * So manifest.json.next exists exactly while a complete new set is pending: a
 * reader then takes each file from `<name>.next` while it is still there. Without
 * it, `.next` files are an interrupted write and the old set is intact.
 */
const NEXT = '.next';
const MANIFEST = 'manifest.json';
const SET_FILES = ['weights.bin', 'config.json', MANIFEST];

/** The path to read `name` of the folder's current set from (never writes: the folder may be read-only). */
export function currentSetFile(dir: string, name: string): string {
  const next = path.join(dir, name + NEXT);
  return fs.existsSync(path.join(dir, MANIFEST + NEXT)) && fs.existsSync(next) ? next : path.join(dir, name);
}

/**
 * Writes a model folder's set; `alongside` adds files (name -> content) to the
 * same set, e.g. a checkpoint's state.json, so they change together with the weights.
 */
export function writeModelFiles(
  dir: string,
  config: unknown,
  tensors: Map<string, tf.Tensor>,
  extra: Record<string, unknown> = {},
  alongside: Record<string, string | Uint8Array> = {},
): Manifest {
  for (const name of Object.keys(alongside)) {
    if (SET_FILES.includes(name) || name.includes('/') || name.includes(NEXT))
      throw new Error(`writeModelFiles: cannot write "${name}" alongside the model files`);
  }
  fs.mkdirSync(dir, { recursive: true });
  settlePendingSet(dir);
  const weights: WeightEntry[] = [];
  const chunks: Buffer[] = [];
  for (const [name, t] of tensors) {
    weights.push({ name, shape: t.shape });
    const data = t.dataSync() as Float32Array;
    chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  const bin = Buffer.concat(chunks);
  const manifest: Manifest = { format: 'groovebox-model-1', ...extra, weights, sha256: sha256(bin), bytes: bin.length };
  const files: [string, Uint8Array | string][] = [
    ['weights.bin', bin],
    ['config.json', JSON.stringify(config, null, 2) + '\n'],
    ...Object.entries(alongside),
    [MANIFEST, JSON.stringify(manifest, null, 2) + '\n'],
  ];
  for (const [name, bytes] of files) writeFileAtomicSync(path.join(dir, name + NEXT), bytes);
  settlePendingSet(dir);
  return manifest;
}

/** Finishes a complete pending set (renames its `.next` files in, manifest.json last) or removes an interrupted one. */
function settlePendingSet(dir: string): void {
  const names = fs.readdirSync(dir).sort();
  if (!names.includes(MANIFEST + NEXT)) {
    for (const name of names)
      if (name.endsWith(NEXT) || name.includes(NEXT + TEMP_MARK)) fs.rmSync(path.join(dir, name), { force: true });
    return;
  }
  for (const name of names) {
    if (name.endsWith(NEXT) && name !== MANIFEST + NEXT)
      fs.renameSync(path.join(dir, name), path.join(dir, name.slice(0, -NEXT.length)));
  }
  // The other renames must be on the card before the one that ends the pending state.
  syncDirSync(dir);
  fs.renameSync(path.join(dir, MANIFEST + NEXT), path.join(dir, MANIFEST));
  syncDirSync(dir);
}

/** A model folder read and checked, before any tensor exists (so a failed load leaves nothing to dispose). */
export interface ModelFileSet {
  config: unknown;
  manifest: Manifest;
  /** weights.bin: exactly the manifest's weights, in order. */
  weights: Float32Array;
  /** The files read (a pending set's are `<name>.next`), for error messages. */
  paths: { config: string; manifest: string; weights: string };
}

/** Reads and checks a model folder; every problem names the file. */
export function readModelFileSet(dir: string): ModelFileSet {
  if (!fs.existsSync(dir)) throw new ModelFileError(dir, 'model folder not found');
  const paths = {
    config: currentSetFile(dir, 'config.json'),
    manifest: currentSetFile(dir, MANIFEST),
    weights: currentSetFile(dir, 'weights.bin'),
  };
  const config = readJson(paths.config);
  const manifest = checkManifest(readJson(paths.manifest), paths.manifest);
  let bin: Buffer;
  try {
    bin = fs.readFileSync(paths.weights);
  } catch {
    throw new ModelFileError(paths.weights, 'weights file missing');
  }
  if (bin.length !== manifest.bytes)
    throw new ModelFileError(
      paths.weights,
      `has ${bin.length} bytes, the manifest says ${manifest.bytes} (truncated or from another model)`,
    );
  if (sha256(bin) !== manifest.sha256)
    throw new ModelFileError(paths.weights, 'checksum does not match manifest.json (corrupt file)');
  if (bin.length % 4 !== 0)
    throw new ModelFileError(paths.weights, `has ${bin.length} bytes: expected whole float32 values`);
  const floats = bin.length / 4;
  let at = 0;
  for (const w of manifest.weights) {
    at += sizeOf(w.shape);
    if (at > floats) throw new ModelFileError(paths.manifest, `weight ${w.name} runs past the end of weights.bin`);
  }
  if (at !== floats)
    throw new ModelFileError(paths.manifest, `the weights list covers ${at * 4} of ${floats * 4} bytes`);
  return {
    config,
    manifest,
    weights: new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length)),
    paths,
  };
}

/** One tensor per manifest weight (the caller owns them). */
export function weightTensors(files: ModelFileSet): Map<string, tf.Tensor> {
  const tensors = new Map<string, tf.Tensor>();
  let at = 0;
  try {
    for (const w of files.manifest.weights) {
      const size = sizeOf(w.shape);
      tensors.set(w.name, tf.tensor(files.weights.subarray(at, at + size), w.shape));
      at += size;
    }
  } catch (err) {
    tf.dispose([...tensors.values()]);
    throw err;
  }
  return tensors;
}

export interface ModelFiles {
  config: unknown;
  manifest: Manifest;
  tensors: Map<string, tf.Tensor>;
}

/** Reads and checks a model folder and makes its tensors. */
export function readModelFiles(dir: string): ModelFiles {
  const files = readModelFileSet(dir);
  return { config: files.config, manifest: files.manifest, tensors: weightTensors(files) };
}

/**
 * The first difference between the weights a manifest lists and those `needer`
 * needs, as a sentence (null when they match): a missing weight, a wrong shape,
 * or a weight nothing uses (a config that would silently drop trained weights).
 */
export function firstWeightMismatch(
  listed: readonly WeightEntry[],
  needed: readonly WeightEntry[],
  needer: string,
): string | null {
  const shapes = new Map(listed.map((w) => [w.name, w.shape]));
  for (const w of needed) {
    const shape = shapes.get(w.name);
    if (!shape) return `weight ${w.name} missing: ${needer} does not match the weights`;
    if (shape.join('x') !== w.shape.join('x'))
      return `weight ${w.name} has shape ${shape.join('x')}, ${needer} needs ${w.shape.join('x')}`;
  }
  const used = new Set(needed.map((w) => w.name));
  const unused = listed.find((w) => !used.has(w.name));
  return unused ? `weight ${unused.name} is not used by ${needer}: ${needer} does not match the weights` : null;
}

function checkManifest(raw: unknown, file: string): Manifest {
  const m = raw as Manifest;
  if (typeof m !== 'object' || m === null || m.format !== 'groovebox-model-1' || !Array.isArray(m.weights)) {
    throw new ModelFileError(
      file,
      'not a groovebox model manifest (format groovebox-model-1 with a weights list expected)',
    );
  }
  const seen = new Set<string>();
  m.weights.forEach((w: unknown, i) => {
    const entry = w as Partial<WeightEntry> | null;
    if (typeof entry !== 'object' || entry === null || typeof entry.name !== 'string' || entry.name === '') {
      throw new ModelFileError(file, `weights[${i}] = ${JSON.stringify(w)}: expected {"name": "...", "shape": [...]}`);
    }
    if (!Array.isArray(entry.shape) || !entry.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ModelFileError(
        file,
        `weights[${i}] (${entry.name}): shape = ${JSON.stringify(entry.shape)}: expected a list of whole numbers >= 0`,
      );
    }
    if (seen.has(entry.name)) throw new ModelFileError(file, `weights[${i}] (${entry.name}): listed twice`);
    seen.add(entry.name);
  });
  return m;
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ModelFileError(file, 'file missing');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ModelFileError(file, `invalid JSON (${jsonErrorText(err)})`);
  }
}

export function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}
