import type { ModelConfig } from '../model/config.js';
import { GrooveModel, type GenerateOptions, type Generated, type Gestures } from '../model/generator.js';

/**
 * Anything the evaluation can ask for a drum loop: a trained model or one of
 * the non-neural players a performer could use instead (quantized, jitter,
 * groove template, nearest neighbour). Every experiment goes through
 * `generateBatch`, so models and the others are measured by the same code.
 */
export interface Player {
  readonly name: string;
  readonly kind: 'model' | 'non-neural';
  /**
   * The gestures this player can be given. An experiment that gives a gesture a
   * model cannot read is skipped for it with a note; the non-neural players read
   * every gesture they have a use for and ignore the rest (that is what a user
   * would get from them), so they declare all true.
   */
  readonly reads: PlayerInputs;
  /** `options.seed` decides every random draw; same requests and seed, same outputs. */
  generateBatch(requests: Gestures[], options: GenerateOptions): Generated[];
  /** The model's config where it has one (auxiliary decoders, paper-only gating); absent for non-neural players. */
  readonly config?: ModelConfig;
  /** What the model files say about training (epochs, minutes, date); absent for non-neural players. */
  readonly checkpoint?: { dir: string; epochs: unknown; trainingMinutes: unknown; date: unknown };
  /** The GrooveModel behind a model player, for the teacher-forced losses that read its weights; absent otherwise. */
  readonly grooveModel?: GrooveModel;
  dispose(): void;
}

export interface PlayerInputs {
  score: boolean;
  /** Per-drum rows with some left to the model (null): only models with one factor per drum. */
  drumRows: boolean;
  groove: boolean;
  accent: boolean;
}

/** What a generator needs to be measured: the GrooveModel surface the evaluation uses, nothing of its internals. */
export interface Generator {
  readonly name: string;
  readonly config: ModelConfig;
  readonly manifest?: Record<string, unknown>;
  readonly dir?: string;
  generateBatch(requests: Gestures[], options: GenerateOptions): Generated[];
  dispose(): void;
}

export function inputsOf(config: ModelConfig): PlayerInputs {
  const has = (input: string) => config.factors.some((f) => f.input === input);
  const perDrum = config.factors.some((f) => f.input.startsWith('drum'));
  return { score: has('score') || perDrum, drumRows: perDrum, groove: has('groove'), accent: has('accent') };
}

/** Wraps a trained generator (a GrooveModel, or any class with the same generateBatch) as a player. */
export function modelPlayer(model: Generator, overrides: Partial<GenerateOptions> = {}): Player {
  const m = model.manifest ?? {};
  return {
    name: model.name,
    kind: 'model',
    reads: inputsOf(model.config),
    config: model.config,
    checkpoint: {
      dir: model.dir ?? '(memory)',
      epochs: m.epochs ?? null,
      trainingMinutes: m.trainingMinutes ?? null,
      date: m.date ?? null,
    },
    grooveModel: model instanceof GrooveModel ? model : undefined,
    generateBatch: (requests, options) => model.generateBatch(requests, { ...options, ...overrides }),
    dispose: () => model.dispose(),
  };
}

/**
 * Loads a model folder as a player. The one place that decides which class
 * reads a folder: a model class of its own (a new architecture with the same
 * generateBatch) is added here and nowhere else in the evaluation.
 */
export function loadModelPlayer(dir: string, overrides: Partial<GenerateOptions> = {}): Player {
  return modelPlayer(GrooveModel.load(dir), overrides);
}
