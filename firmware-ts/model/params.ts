import { tf } from '../ml/runtime.js';
import { FEATURES } from '../pattern/tensor-layout.js';
import { STEPS } from '../pattern/pattern.js';
import { latentSize, type FactorConfig, type ModelConfig } from './config.js';
import { mulberry32 } from './random.js';
import { stepDecoderParamSpecs } from './step-decoder.js';

/** A model's weights by name; the order of `specs` is the order on disk. */
export interface ParamSpec {
  name: string;
  shape: number[];
  /** 'glorot' | 'zeros' | 'forgetBias' (LSTM bias: 1 on the forget gate, 0 elsewhere). */
  init: 'glorot' | 'zeros' | 'forgetBias';
}

export type Params = Map<string, tf.Variable>;

/** Per-step and flattened widths of a factor's input. */
export function factorInputWidth(factor: FactorConfig): { perStep: number; flat: number } {
  const perStep = factor.input === 'score' ? 9 : factor.input === 'groove' ? 3 : 1;
  return { perStep, flat: perStep * STEPS };
}

/** Width of what a factor's auxiliary decoder rebuilds (same as the flat input). */
export function auxOutputWidth(factor: FactorConfig): number {
  return factorInputWidth(factor).flat;
}

function lstm(prefix: string, input: number, units: number): ParamSpec[] {
  return [
    { name: `${prefix}.Wx`, shape: [input, 4 * units], init: 'glorot' },
    { name: `${prefix}.Wh`, shape: [units, 4 * units], init: 'glorot' },
    { name: `${prefix}.b`, shape: [4 * units], init: 'forgetBias' },
  ];
}

function dense(prefix: string, input: number, output: number): ParamSpec[] {
  return [
    { name: `${prefix}.W`, shape: [input, output], init: 'glorot' },
    { name: `${prefix}.b`, shape: [output], init: 'zeros' },
  ];
}

/** Every weight a config needs, in a fixed order. */
export function paramSpecs(config: ModelConfig): ParamSpec[] {
  const specs: ParamSpec[] = [];
  config.factors.forEach((factor, i) => {
    const width = factorInputWidth(factor);
    const p = `enc${i}`;
    if (factor.encoder === 'bilstm') {
      specs.push(...lstm(`${p}.fw`, width.perStep, factor.units), ...lstm(`${p}.bw`, width.perStep, factor.units));
      specs.push(
        ...dense(`${p}.mu`, 2 * factor.units, factor.latent),
        ...dense(`${p}.sigma`, 2 * factor.units, factor.latent),
      );
    } else {
      specs.push(...dense(`${p}.h`, width.flat, factor.units));
      specs.push(...dense(`${p}.mu`, factor.units, factor.latent), ...dense(`${p}.sigma`, factor.units, factor.latent));
    }
    if (factor.auxiliary) {
      specs.push(
        ...dense(`aux${i}.h`, factor.latent, config.decoder.auxUnits),
        ...dense(`aux${i}.out`, config.decoder.auxUnits, auxOutputWidth(factor)),
      );
    }
  });
  const z = latentSize(config);
  if (config.decoder.kind === 'steps') return [...specs, ...stepDecoderParamSpecs(config, z)];
  const h = config.decoder.units;
  for (let l = 0; l < config.decoder.layers; l++) {
    specs.push(...dense(`dec.init${l}`, z, 2 * h));
    // Layer 0 reads the latent (projected once per sequence) and the previous step's output.
    if (l === 0) specs.push({ name: 'dec.l0.Wz', shape: [z, 4 * h], init: 'glorot' }, ...lstm('dec.l0', FEATURES, h));
    else specs.push(...lstm(`dec.l${l}`, h, h));
  }
  specs.push(...dense('dec.out', h, FEATURES));
  if (config.decoder.skip) specs.push(...dense('dec.skip', z, STEPS * FEATURES));
  return specs;
}

/** Fresh weights: Glorot-uniform matrices (not orthogonal: that init takes minutes on cpu), zero biases, forget bias 1. */
export function initParams(config: ModelConfig, seed: number): Params {
  const rand = mulberry32(seed);
  const params: Params = new Map();
  for (const spec of paramSpecs(config)) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (spec.init === 'glorot') {
      const limit = Math.sqrt(6 / (spec.shape[0] + spec.shape[1]));
      for (let k = 0; k < size; k++) values[k] = (rand() * 2 - 1) * limit;
    } else if (spec.init === 'forgetBias') {
      const units = size / 4;
      for (let k = units; k < 2 * units; k++) values[k] = 1; // gate order: i, f, g, o
    }
    // The variable holds the values' data itself; the tensor they came in is freed (it was one left per weight).
    const initial = tf.tensor(values, spec.shape);
    params.set(spec.name, tf.variable(initial, true));
    initial.dispose();
  }
  return params;
}

export function disposeParams(params: Params): void {
  for (const v of params.values()) v.dispose();
  params.clear();
}

export function paramCount(params: Params): number {
  let n = 0;
  for (const v of params.values()) n += v.size;
  return n;
}
