// The page microphone's audio worklet: it only hands the captured samples to
// the page in blocks, where the box's own onset detector runs
// (page-microphone.ts). A worklet rather than a ScriptProcessor: its blocks
// queue up when the page's main thread is busy instead of being dropped.
// Bundled on its own (dist/panel-page/mic-worklet.js): a worklet is loaded by
// URL, and the panel's Content-Security-Policy allows only its own files.

// The worklet scope's own names (TypeScript's DOM library does not have them).
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, processor: new () => AudioWorkletProcessor): void;

/** Frames per message: two render quanta, 5 ms at 48 kHz; the detector's timing does not depend on it. */
const BLOCK = 256;

class MicrophoneBlocks extends AudioWorkletProcessor {
  #block = new Float32Array(BLOCK);
  #filled = 0;

  process(inputs: Float32Array[][]): boolean {
    // The first channel only: a tap is as loud on one as on both.
    const samples = inputs[0]?.[0];
    if (!samples) return true;
    for (let read = 0; read < samples.length;) {
      const n = Math.min(samples.length - read, BLOCK - this.#filled);
      this.#block.set(samples.subarray(read, read + n), this.#filled);
      this.#filled += n;
      read += n;
      if (this.#filled === BLOCK) {
        this.port.postMessage(this.#block, [this.#block.buffer]);
        this.#block = new Float32Array(BLOCK);
        this.#filled = 0;
      }
    }
    return true;
  }
}

registerProcessor('groovebox-microphone', MicrophoneBlocks);
