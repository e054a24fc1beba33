/** A progress bar with ETA on a terminal; plain log lines (every ~30 s) otherwise. */
export class Progress {
  #start = performance.now();
  #lastLine = 0;
  #label = '';
  readonly #tty = Boolean(process.stderr.isTTY);

  constructor(private readonly log: (msg: string) => void) {}

  update(label: string, done: number, total: number, detail: string): void {
    if (label !== this.#label) {
      this.#label = label;
      this.#start = performance.now();
    }
    const elapsed = (performance.now() - this.#start) / 1000;
    const eta = done > 0 ? (elapsed / done) * (total - done) : 0;
    const text = `${label} ${done}/${total} ${detail} ETA ${formatSeconds(eta)}`;
    if (this.#tty) {
      const width = 24;
      const filled = Math.round((done / total) * width);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}   `);
    } else if (performance.now() - this.#lastLine > 30_000 || done === total) {
      this.#lastLine = performance.now();
      this.log(`groovebox:train ${text}`);
    }
  }

  done(): void {
    if (this.#tty) process.stderr.write('\n');
  }
}

function formatSeconds(s: number): string {
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}
