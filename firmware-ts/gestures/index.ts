/**
 * Hands -> GestureState: the score editor, the tap recorder, the accent
 * editor and the grid's LED view. The daemon and the virtual panel use
 * GestureCapture; slots and the engine use GestureState and toModelGestures.
 */
export * from './state.js';
export * from './editor.js';
export * from './tap-recorder.js';
export * from './led-view.js';
export * from './capture.js';
