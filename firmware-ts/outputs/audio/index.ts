export * from './audio-out.js';
export * from './context.js';
export * from './drum-kit.js';
export * from './gain-lanes.js';
export * from './render.js';
export * from './sampled-kit.js';
export * from './wav.js';
