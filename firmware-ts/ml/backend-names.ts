/**
 * The tfjs backends, in the order they are tried. Apart from runtime.ts so
 * that the command line can check a --backend flag without loading tfjs.
 */
export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
