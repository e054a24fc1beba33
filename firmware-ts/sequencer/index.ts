export * from './events.js';
export * from './sequencer.js';
export * from './tempo.js';
export * from './ticker.js';
