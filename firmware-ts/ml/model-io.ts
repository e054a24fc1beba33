import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../storage/atomic-file.js';
import { tf } from './runtime.js';

/**
 * Model files on plain fs (pure tfjs in Node has no file:// IO):
 *   config.json   what to build
 *   weights.bin   every tensor's float32 values, back to back, in `weights` order
 *   manifest.json the weight list (name, shape), the sha256 of weights.bin and
 *                 whatever the writer adds (training facts).
 * Files are written to temporary names and renamed, so a crash leaves the old set.
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
  constructor(readonly file: string, reason: string) {
    super(`${file}: ${reason}`);
  }
}

export function writeModelFiles(dir: string, config: unknown, tensors: Map<string, tf.Tensor>, extra: Record<string, unknown> = {}): Manifest {
  fs.mkdirSync(dir, { recursive: true });
  const weights: WeightEntry[] = [];
  const chunks: Buffer[] = [];
  for (const [name, t] of tensors) {
    weights.push({ name, shape: t.shape });
    const data = t.dataSync() as Float32Array;
    chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  const bin = Buffer.concat(chunks);
  const manifest: Manifest = { format: 'groovebox-model-1', ...extra, weights, sha256: sha256(bin), bytes: bin.length };
  const files: [string, Buffer][] = [
    ['weights.bin', bin],
    ['config.json', Buffer.from(JSON.stringify(config, null, 2) + '\n')],
    ['manifest.json', Buffer.from(JSON.stringify(manifest, null, 2) + '\n')],
  ];
  for (const [name, bytes] of files) writeFileAtomicSync(path.join(dir, name), bytes);
  return manifest;
}

export interface ModelFiles {
  config: unknown;
  manifest: Manifest;
  tensors: Map<string, tf.Tensor>;
}

/** Reads and checks a model folder; every problem names the file. */
export function readModelFiles(dir: string): ModelFiles {
  const configFile = path.join(dir, 'config.json');
  const manifestFile = path.join(dir, 'manifest.json');
  const weightsFile = path.join(dir, 'weights.bin');
  if (!fs.existsSync(dir)) throw new ModelFileError(dir, 'model folder not found');
  const config = readJson(configFile);
  const manifest = readJson(manifestFile) as Manifest;
  if (manifest.format !== 'groovebox-model-1' || !Array.isArray(manifest.weights)) {
    throw new ModelFileError(manifestFile, 'not a groovebox model manifest (format groovebox-model-1 with a weights list expected)');
  }
  let bin: Buffer;
  try {
    bin = fs.readFileSync(weightsFile);
  } catch {
    throw new ModelFileError(weightsFile, 'weights file missing');
  }
  if (bin.length !== manifest.bytes) throw new ModelFileError(weightsFile, `has ${bin.length} bytes, the manifest says ${manifest.bytes} (truncated or from another model)`);
  if (sha256(bin) !== manifest.sha256) throw new ModelFileError(weightsFile, 'checksum does not match manifest.json (corrupt file)');
  const floats = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length));
  const tensors = new Map<string, tf.Tensor>();
  let at = 0;
  for (const w of manifest.weights) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (at + size > floats.length) throw new ModelFileError(manifestFile, `weight ${w.name} runs past the end of weights.bin`);
    tensors.set(w.name, tf.tensor(floats.subarray(at, at + size), w.shape));
    at += size;
  }
  if (at !== floats.length) throw new ModelFileError(manifestFile, `the weights list covers ${at * 4} of ${floats.length * 4} bytes`);
  return { config, manifest, tensors };
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
    throw new ModelFileError(file, `invalid JSON (${(err as Error).message})`);
  }
}

export function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}
