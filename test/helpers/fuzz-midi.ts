import { MidiFileError } from '../../firmware-ts/midi-file/errors.js';
import { readPatterns } from '../../firmware-ts/midi-file/read.js';
import { patternsToMidi } from '../../firmware-ts/midi-file/write.js';
import { Pattern } from '../../firmware-ts/pattern/pattern.js';
import { fixture, prng } from './fixtures.js';

type Mutation = (bytes: Uint8Array, random: () => number) => Uint8Array;
const int = (random: () => number, n: number) => Math.floor(random() * n);

// What corruption looks like: cut files, flipped bits, random bytes, and the
// length fields (chunk lengths, varints) that parsers trust.
const MUTATIONS: Record<string, Mutation> = {
  truncate: (b, r) => b.slice(0, int(r, b.length)),
  flipBits: (b, r) => {
    const out = b.slice();
    for (let k = 1 + int(r, 4); k > 0; k--) out[int(r, out.length)] ^= 1 << int(r, 8);
    return out;
  },
  randomBytes: (b, r) => {
    const out = b.slice();
    for (let k = 1 + int(r, 8); k > 0; k--) out[int(r, out.length)] = int(r, 256);
    return out;
  },
  highBytes: (b, r) => {
    // Runs of 0xff/0x8f make long varints and huge lengths.
    const out = b.slice();
    const at = int(r, out.length);
    for (let k = 0; k < 1 + int(r, 6) && at + k < out.length; k++) out[at + k] = r() < 0.5 ? 0xff : 0x8f;
    return out;
  },
  chunkLength: (b, r) => {
    const out = b.slice();
    const view = new DataView(out.buffer);
    const candidates = [4, 18]; // the header length and the first track length
    for (let at = 14; at + 8 <= out.length;) {
      const length = view.getUint32(at + 4);
      candidates.push(at + 4);
      at += 8 + length;
    }
    const at = candidates[int(r, candidates.length)];
    if (at + 4 <= out.length) view.setUint32(at, r() < 0.5 ? int(r, 2 ** 32) : view.getUint32(at) + int(r, 9) - 4);
    return out;
  },
  insert: (b, r) => {
    const at = int(r, b.length);
    const extra = Uint8Array.from({ length: 1 + int(r, 16) }, () => int(r, 256));
    return Uint8Array.from([...b.slice(0, at), ...extra, ...b.slice(at)]);
  },
  remove: (b, r) => {
    const at = int(r, b.length);
    return Uint8Array.from([...b.slice(0, at), ...b.slice(at + 1 + int(r, 16))]);
  },
  // The division and tempo decide the length in seconds: tiny or huge values stretch time.
  division: (b, r) => {
    const out = b.slice();
    out[12] = r() < 0.5 ? 0 : int(r, 256);
    out[13] = int(r, 256);
    return out;
  },
};

export interface FuzzResult {
  accepted: number;
  refused: number;
  /** The first case that threw anything but a one-line MidiFileError naming the file. */
  failure?: string;
}

/**
 * Reads `cases` mutated fixtures with `readPatterns`. `progress(n)` is called
 * every 100 cases so that a watchdog can tell where a hang happened.
 */
export function runFuzz(seed: number, cases: number, progress: (n: number) => void = () => {}): FuzzResult {
  const written = patternsToMidi([new Pattern().set(0, 0, 1).set(4, 1, 0.7, 0.3), new Pattern().set(2, 2, 0.4, -0.2)], {
    bpm: 97,
  });
  const sources = [
    fixture('groove.mid'),
    fixture('tempo-change.mid'),
    fixture('three-four.mid'),
    fixture('no-drums.mid'),
    written,
  ];
  const names = Object.keys(MUTATIONS);
  const random = prng(seed);
  const result: FuzzResult = { accepted: 0, refused: 0 };
  for (let n = 0; n < cases; n++) {
    if (n % 100 === 0) progress(n);
    let bytes = sources[int(random, sources.length)];
    const applied: string[] = [];
    for (let k = 1 + int(random, 3); k > 0; k--) {
      const name = names[int(random, names.length)];
      bytes = MUTATIONS[name](bytes, random);
      applied.push(name);
    }
    const where = `case ${n} (seed ${seed}, ${applied.join(' + ')})`;
    try {
      const patterns = readPatterns(bytes, `case${n}.mid`);
      if (!patterns.every((p) => p instanceof Pattern))
        return { ...result, failure: `${where} returned something else than Patterns` };
      result.accepted++;
    } catch (err) {
      if (!(err instanceof MidiFileError))
        return { ...result, failure: `${where} threw ${err instanceof Error ? err.stack : JSON.stringify(err)}` };
      if (!err.message.startsWith(`case${n}.mid: `) || err.message.includes('\n'))
        return { ...result, failure: `${where}: message is not one line naming the file: ${err.message}` };
      result.refused++;
    }
  }
  return result;
}
