import fs from 'node:fs';

/** A WAV file that cannot be used: one line naming the file and what was expected. */
export class WavFileError extends Error {
  override name = 'WavFileError';

  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

export type SampleFormat = 'int' | 'float';

/** A decoded WAV file: one Float32Array per channel, samples in -1..1. */
export interface WavAudio {
  sampleRate: number;
  channels: Float32Array[];
  bitsPerSample: number;
  format: SampleFormat;
  /** Seconds. */
  duration: number;
}

const PCM = 1;
const IEEE_FLOAT = 3;
const EXTENSIBLE = 0xfffe;
/** Streamed recordings (arecord to a pipe, some phone apps) leave the size fields at a placeholder. */
const PLACEHOLDER_SIZES = new Set([0, 0xffffffff, 0x7fffffff]);

/** Reads and decodes a WAV file; every problem is a WavFileError naming the file. */
export function readWavFile(file: string): WavAudio {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(fs.readFileSync(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new WavFileError(
      file,
      code === 'ENOENT' ? 'file not found' : `cannot read it (${code ?? (err as Error).message})`,
    );
  }
  return decodeWav(bytes, file);
}

/**
 * Decodes RIFF/WAVE bytes: PCM 8 (unsigned), 16, 24 and 32-bit integers and
 * 32-bit float, plain or WAVE_FORMAT_EXTENSIBLE, one or two channels, any
 * sample rate. Chunks other than "fmt " and "data" are skipped. A data chunk
 * whose size is a placeholder or runs past the end of the file (a recording
 * cut short) is read to the last whole frame.
 */
export function decodeWav(bytes: Uint8Array, file: string): WavAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number): string =>
    at + 4 <= bytes.length ? String.fromCharCode(...bytes.subarray(at, at + 4)) : '';
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') {
    const found = bytes.length < 12 ? `only ${bytes.length} bytes` : `"${printable(tag(0))}"/"${printable(tag(8))}"`;
    throw new WavFileError(file, `not a WAV file (expected "RIFF" at byte 0 and "WAVE" at byte 8, found ${found})`);
  }
  let fmt: { format: number; channels: number; sampleRate: number; blockAlign: number; bits: number } | null = null;
  let data: Uint8Array | null = null;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = tag(at);
    const declared = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (declared < 16 || body + 16 > bytes.length)
        throw new WavFileError(file, `"fmt " chunk of ${declared} bytes: expected at least 16`);
      let format = view.getUint16(body, true);
      const bits = view.getUint16(body + 14, true);
      if (format === EXTENSIBLE) {
        if (declared < 40 || body + 26 > bytes.length)
          throw new WavFileError(file, `extensible "fmt " chunk of ${declared} bytes: expected 40`);
        format = view.getUint16(body + 24, true); // the sub-format GUID starts with the plain format code
      }
      fmt = {
        format,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        blockAlign: view.getUint16(body + 12, true),
        bits,
      };
    } else if (id === 'data') {
      const end = PLACEHOLDER_SIZES.has(declared) || body + declared > bytes.length ? bytes.length : body + declared;
      data = bytes.subarray(body, end);
      break;
    }
    if (body + declared > bytes.length) break;
    at = body + declared + (declared & 1); // chunks are padded to an even length
  }
  if (!fmt)
    throw new WavFileError(
      file,
      'no "fmt " chunk before the audio data: expected a RIFF/WAVE file with a format chunk',
    );
  if (!data) throw new WavFileError(file, 'no "data" chunk: expected the audio samples after the "fmt " chunk');
  const { format, channels, sampleRate, bits } = fmt;
  const supported = (format === PCM && [8, 16, 24, 32].includes(bits)) || (format === IEEE_FLOAT && bits === 32);
  if (!supported) {
    const what =
      format === PCM
        ? `${bits}-bit integer PCM`
        : format === IEEE_FLOAT
          ? `${bits}-bit float`
          : `format code ${format}`;
    throw new WavFileError(file, `${what} samples: expected PCM 8/16/24/32-bit integer or 32-bit float`);
  }
  if (channels < 1 || channels > 2) throw new WavFileError(file, `${channels} channels: expected mono or stereo`);
  if (!(sampleRate >= 1000 && sampleRate <= 768000))
    throw new WavFileError(file, `sample rate ${sampleRate} Hz: expected 1000..768000`);
  const bytesPerSample = bits / 8;
  const frameBytes = bytesPerSample * channels;
  if (fmt.blockAlign !== frameBytes)
    throw new WavFileError(
      file,
      `block align ${fmt.blockAlign}: expected ${frameBytes} for ${channels} channel(s) of ${bits} bits`,
    );
  const frames = Math.floor(data.length / frameBytes);
  const samples = new DataView(data.buffer, data.byteOffset, frames * frameBytes);
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  const read = sampleReader(format === IEEE_FLOAT ? 'float' : 'int', bits, samples);
  for (let i = 0, offset = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++, offset += bytesPerSample) out[c][i] = read(offset);
  }
  return {
    sampleRate,
    channels: out,
    bitsPerSample: bits,
    format: format === IEEE_FLOAT ? 'float' : 'int',
    duration: frames / sampleRate,
  };
}

/** The channels averaged into one (what the onset detector listens to). */
export function mixToMono(audio: WavAudio): Float32Array {
  if (audio.channels.length === 1) return audio.channels[0];
  const n = audio.channels[0].length;
  const out = new Float32Array(n);
  for (const channel of audio.channels) for (let i = 0; i < n; i++) out[i] += channel[i] / audio.channels.length;
  return out;
}

function sampleReader(format: SampleFormat, bits: number, view: DataView): (offset: number) => number {
  if (format === 'float') return (o) => view.getFloat32(o, true);
  switch (bits) {
    case 8:
      return (o) => (view.getUint8(o) - 128) / 128;
    case 16:
      return (o) => view.getInt16(o, true) / 0x8000;
    case 24:
      return (o) => (view.getUint8(o) | (view.getUint8(o + 1) << 8) | (view.getInt8(o + 2) << 16)) / 0x800000;
    default:
      return (o) => view.getInt32(o, true) / 0x80000000;
  }
}

const printable = (s: string): string => s.replace(/[^\x20-\x7e]/g, '?');
