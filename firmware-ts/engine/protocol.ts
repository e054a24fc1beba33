import type { GenerateOptions, Reconstructions } from '../model/generator.js';
import type { Gestures } from '../pattern/gesture-layout.js';

/** Messages between the main thread and the generation worker (structured-clone safe: typed arrays, no classes). */
export type ToWorker =
  { type: 'generate'; id: number; gestures: Gestures; options: GenerateOptions } | { type: 'stop' };

export interface PatternArrays {
  hits: Float32Array;
  velocities: Float32Array;
  offsets: Float32Array;
}

export type FromWorker =
  | { type: 'ready'; model: string; backend: string; loadMs: number }
  | { type: 'loadFailed'; error: string }
  | {
      type: 'result';
      id: number;
      pattern: PatternArrays;
      reconstructions: Reconstructions;
      ms: number;
      tensors: number;
      memory: WorkerMemory;
    }
  | { type: 'failed'; id: number; error: string };

export interface WorkerConfig {
  modelDir: string;
  backend?: string;
}

/** The generation worker's own memory after a generation (for soaks). */
export interface WorkerMemory {
  /** V8 heap used by the worker's isolate. */
  heapMB: number;
  /** V8 heap the worker's isolate has committed (used or not). */
  heapCommittedMB: number;
  /** WebAssembly memory of the wasm backend (null on other backends). */
  wasmMB: number | null;
}
