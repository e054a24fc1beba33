/**
 * Short-time band energies of one frame: a Hann window, a radix-2 FFT, and
 * the power of log-spaced bands. Bands rather than bins because a tap is
 * broadband and a band's power, summed over several bins, fluctuates far less
 * on room noise than a single bin does, so noise makes less spectral flux.
 */
export class BandSpectrum {
  readonly size: number;
  /** Bin index where each band starts; the last entry is the end of the last band. */
  readonly bandEdges: readonly number[];
  readonly #window: Float32Array;
  readonly #cos: Float64Array;
  readonly #sin: Float64Array;
  readonly #reverse: Uint32Array;
  readonly #re: Float64Array;
  readonly #im: Float64Array;
  readonly #scale: number;

  constructor(size: number) {
    if (!Number.isInteger(Math.log2(size)) || size < 32)
      throw new RangeError(`band spectrum size: expected a power of two >= 32, got ${size}`);
    this.size = size;
    this.#window = Float32Array.from({ length: size }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size));
    const windowPower = this.#window.reduce((sum, w) => sum + w * w, 0);
    // Scaled so that the power of a full-scale sine, summed over its bins, is 1 whatever the window size.
    this.#scale = 4 / (windowPower * size);
    this.#cos = Float64Array.from({ length: size / 2 }, (_, k) => Math.cos((-2 * Math.PI * k) / size));
    this.#sin = Float64Array.from({ length: size / 2 }, (_, k) => Math.sin((-2 * Math.PI * k) / size));
    const bits = Math.log2(size);
    this.#reverse = Uint32Array.from({ length: size }, (_, i) => {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      return r;
    });
    this.#re = new Float64Array(size);
    this.#im = new Float64Array(size);
    // Edges grow by about a third each band (from bin 1, skipping DC), at least one bin wide.
    const edges = [1];
    while (edges[edges.length - 1] < size / 2) {
      const last = edges[edges.length - 1];
      edges.push(Math.min(size / 2, Math.max(last + 1, Math.round(last * 1.35))));
    }
    this.bandEdges = edges;
  }

  get bands(): number {
    return this.bandEdges.length - 1;
  }

  /** Writes each band's mean power per bin into `out`; `samples` from `start`, `size` of them, wrapping as a ring of `ring.length`. */
  power(ring: Float32Array, start: number, out: Float64Array): void {
    const n = this.size;
    const mask = ring.length - 1;
    for (let i = 0; i < n; i++) {
      const j = this.#reverse[i];
      this.#re[j] = ring[(start + i) & mask] * this.#window[i];
      this.#im[j] = 0;
    }
    for (let half = 1; half < n; half *= 2) {
      const stride = n / (2 * half);
      for (let block = 0; block < n; block += 2 * half) {
        for (let k = 0; k < half; k++) {
          const c = this.#cos[k * stride],
            s = this.#sin[k * stride];
          const a = block + k,
            b = a + half;
          const tr = this.#re[b] * c - this.#im[b] * s;
          const ti = this.#re[b] * s + this.#im[b] * c;
          this.#re[b] = this.#re[a] - tr;
          this.#im[b] = this.#im[a] - ti;
          this.#re[a] += tr;
          this.#im[a] += ti;
        }
      }
    }
    const edges = this.bandEdges;
    for (let band = 0; band < edges.length - 1; band++) {
      let sum = 0;
      for (let k = edges[band]; k < edges[band + 1]; k++) sum += this.#re[k] * this.#re[k] + this.#im[k] * this.#im[k];
      out[band] = (sum * this.#scale) / (edges[band + 1] - edges[band]);
    }
  }
}
