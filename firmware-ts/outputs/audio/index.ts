export * from './audio-out.js';
export * from './context.js';
export * from './drum-kit.js';
export * from './render.js';
export * from './wav.js';
