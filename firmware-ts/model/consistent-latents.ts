/**
 * Latents for the factors the performer left to the model, drawn so that they agree with
 * the factors the performer gave.
 *
 * A hidden factor's latent is a draw from the prior, which knows nothing of the given
 * gestures: a groove latent may describe a rhythm with hits where the score has none, or
 * loud steps where the accent says soft. The decoder then has to reconcile two stories and
 * plays neither well (accents ignored, velocities off). The given gestures already say
 * part of what a hidden factor must look like (the groove's onsets are the score's, a
 * the accent is the groove's loud steps), and
 * each factor's auxiliary decoder says what a latent means for that factor. So several
 * prior draws are read through the auxiliary decoder, each is weighed by how likely the
 * given gestures' evidence is under it, and one is resampled by weight (sampling
 * importance resampling: an approximate draw from the latent given the evidence, not
 * just the best match, so repeated generations still differ).
 */
import { givenDrumRows, type Gestures } from '../pattern/gesture-layout.js';
import { accent, grooveToPattern } from '../pattern/gestures.js';
import { STEPS } from '../pattern/pattern.js';
import type { FactorConfig } from './config.js';

/** Prior draws weighed per hidden factor (0 turns the resampling off: one plain prior draw). */
export const DEFAULT_LATENT_CANDIDATES = 32;

/** What the given gestures say about one hidden factor, per step (NaN = nothing known). */
export interface Evidence {
  /** 1: the factor has a hit at this step, 0: it has none. */
  hits: Float32Array;
  /** Groove only, 1: this step is accented (loud), 0: onset but not accented. */
  loud: Float32Array | null;
}

/** How sharply a groove velocity above its mean + one std counts as loud (velocities are 0..1). */
const LOUDNESS_SLOPE = 20;

/**
 * The evidence the request holds about `factor` when that factor is hidden, or null when
 * it holds none (then the plain prior draw is as good as any).
 */
export function evidenceFor(factor: FactorConfig, g: Gestures): Evidence | null {
  const rows = givenDrumRows(g);
  const grooveGiven = g.groove ?? null;
  if (factor.input === 'groove') {
    const hits = unknown();
    const allDrums = rows.every((r) => r !== null);
    let any = false;
    for (let s = 0; s < STEPS; s++) {
      const onset = rows.some((r) => r !== null && r[s] > 0.5);
      if (onset) hits[s] = 1;
      else if (allDrums) hits[s] = 0;
      any ||= !Number.isNaN(hits[s]);
    }
    const loud = g.accent ? Float32Array.from(g.accent, (a) => (a > 0.5 ? 1 : 0)) : null;
    return any || loud ? { hits, loud } : null;
  }
  if (factor.input === 'accent') {
    if (!grooveGiven) return null;
    const accented = accent(grooveToPattern(grooveGiven));
    const hits = unknown();
    for (let s = 0; s < STEPS; s++) if (grooveGiven.hits[s] > 0.5) hits[s] = accented[s];
    return { hits, loud: null };
  }
  return null;
}

/**
 * Log-likelihood of the evidence under one candidate's auxiliary reconstruction:
 * `aux` holds per-step hit probabilities (drums, accent) or per-step [hit, velocity,
 * offset] (groove), as the generator's auxiliary outputs.
 */
export function evidenceLogLikelihood(factor: FactorConfig, aux: ArrayLike<number>, at: number, e: Evidence): number {
  const stride = factor.input === 'groove' ? 3 : 1;
  const hitProbability = (s: number) => aux[at + s * stride];
  let sum = 0;
  for (let s = 0; s < STEPS; s++) {
    const target = e.hits[s];
    if (!Number.isNaN(target)) sum += bernoulli(target, hitProbability(s));
  }
  if (e.loud && factor.input === 'groove') sum += loudnessLogLikelihood(aux, at, e);
  return sum;
}

/**
 * The accent rule read softly from a candidate groove: over the steps the candidate plays
 * (or the evidence says are onsets), a step is loud with a probability rising as its
 * velocity passes the mean + one std of those steps.
 */
function loudnessLogLikelihood(aux: ArrayLike<number>, at: number, e: Evidence): number {
  const onsets: number[] = [];
  for (let s = 0; s < STEPS; s++) {
    if (e.hits[s] === 1 || (Number.isNaN(e.hits[s]) && aux[at + s * 3] > 0.5)) onsets.push(s);
  }
  if (onsets.length < 2) return 0;
  const velocities = onsets.map((s) => aux[at + s * 3 + 1]);
  const mean = velocities.reduce((a, b) => a + b, 0) / velocities.length;
  const std = Math.sqrt(velocities.reduce((a, v) => a + (v - mean) ** 2, 0) / velocities.length);
  let sum = 0;
  onsets.forEach((s, j) => {
    const p = 1 / (1 + Math.exp(-LOUDNESS_SLOPE * (velocities[j] - mean - std)));
    sum += bernoulli(e.loud![s], p);
  });
  return sum;
}

function bernoulli(target: number, p: number): number {
  const q = Math.min(Math.max(p, 1e-4), 1 - 1e-4);
  return target > 0.5 ? Math.log(q) : Math.log(1 - q);
}

/** Picks one of the candidates' indices with probability proportional to exp(log-likelihood). */
export function resample(logLikelihoods: readonly number[], u: number): number {
  const max = Math.max(...logLikelihoods);
  const weights = logLikelihoods.map((l) => Math.exp(l - max));
  const total = weights.reduce((a, b) => a + b, 0);
  let threshold = u * total;
  for (let j = 0; j < weights.length; j++) {
    threshold -= weights[j];
    if (threshold < 0) return j;
  }
  return weights.length - 1;
}

function unknown(): Float32Array {
  return new Float32Array(STEPS).fill(NaN);
}
