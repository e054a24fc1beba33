// The evaluation's experiments, one module each under experiments/: what every player is asked to play and
// what is measured in its answers. evaluate.ts runs them; this module gathers them in one namespace.

export * from './experiments/context.js';
export * from './experiments/table1.js';
export * from './experiments/realism.js';
export * from './experiments/swing.js';
export * from './experiments/control.js';
export * from './experiments/auxiliary.js';
