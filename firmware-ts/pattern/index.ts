export * from './drums.js';
export * from './pattern.js';
export * from './tensor-layout.js';
export * from './gestures.js';
