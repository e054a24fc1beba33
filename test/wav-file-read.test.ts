import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeWav, mixToMono, readWavFile } from '../firmware-ts/wav-file/read.js';

/** WAV bytes written by hand, field by field, so the reader is tested against the format and not against itself. */
function wav(options: {
  format?: number;
  bits: number;
  channels?: number;
  rate?: number;
  frames: number[][];
  extensible?: boolean;
  dataSize?: number;
  extraChunk?: boolean;
  declaredBits?: number;
}): Uint8Array {
  const channels = options.channels ?? 1;
  const bytes = options.bits / 8;
  const format = options.format ?? 1;
  const data = Buffer.alloc(options.frames.length * channels * bytes);
  let at = 0;
  for (const frame of options.frames) {
    for (const x of frame) {
      if (format === 3) data.writeFloatLE(x, at);
      else if (options.bits === 8) data.writeUInt8(Math.round(x * 128 + 128), at);
      else if (options.bits === 16) data.writeInt16LE(Math.round(x * 0x8000), at);
      else if (options.bits === 24) data.writeIntLE(Math.round(x * 0x800000), at, 3);
      else data.writeInt32LE(Math.round(x * 0x80000000), at);
      at += bytes;
    }
  }
  const fmt = Buffer.alloc(options.extensible ? 40 : 16);
  fmt.writeUInt16LE(options.extensible ? 0xfffe : format, 0);
  fmt.writeUInt16LE(channels, 2);
  fmt.writeUInt32LE(options.rate ?? 44100, 4);
  fmt.writeUInt32LE((options.rate ?? 44100) * channels * bytes, 8);
  fmt.writeUInt16LE(channels * bytes, 12);
  fmt.writeUInt16LE(options.declaredBits ?? options.bits, 14);
  if (options.extensible) {
    fmt.writeUInt16LE(22, 16);
    fmt.writeUInt16LE(options.bits, 18);
    fmt.writeUInt16LE(format, 24);
  }
  const chunk = (id: string, body: Buffer, size = body.length) => {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'ascii');
    head.writeUInt32LE(size, 4);
    return Buffer.concat([head, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const body = Buffer.concat([
    Buffer.from('WAVE'),
    chunk('fmt ', fmt),
    options.extraChunk ? chunk('LIST', Buffer.from('odd')) : Buffer.alloc(0),
    chunk('data', data, options.dataSize),
  ]);
  return new Uint8Array(Buffer.concat([Buffer.from('RIFF'), Buffer.from(Uint32Array.of(body.length).buffer), body]));
}

const ramp = [[0], [0.5], [-0.5], [-1], [0.25]];

describe('wav-file: reading WAV recordings', () => {
  for (const [name, options, tolerance] of [
    ['8-bit unsigned', { bits: 8 }, 1 / 128],
    ['16-bit', { bits: 16 }, 1e-4],
    ['24-bit', { bits: 24 }, 1e-6],
    ['32-bit integer', { bits: 32 }, 1e-8],
    ['32-bit float', { bits: 32, format: 3 }, 0],
    ['extensible 24-bit', { bits: 24, extensible: true }, 1e-6],
    ['extensible float', { bits: 32, format: 3, extensible: true }, 0],
  ] as const) {
    it(`decodes ${name} samples`, () => {
      const audio = decodeWav(wav({ ...options, frames: ramp, rate: 22050 }), 'x.wav');
      expect(audio.sampleRate).to.equal(22050);
      expect(audio.channels).to.have.length(1);
      Array.from(audio.channels[0]).forEach((x, i) => expect(x).to.be.closeTo(ramp[i][0], tolerance + 1e-9));
      expect(audio.duration).to.be.closeTo(5 / 22050, 1e-12);
    });
  }

  it('reads stereo as two channels and mixes it to mono', () => {
    const audio = decodeWav(
      wav({
        bits: 16,
        channels: 2,
        frames: [
          [0.5, 0],
          [0.25, -0.25],
        ],
        extraChunk: true,
      }),
      's.wav',
    );
    expect(Array.from(audio.channels[1])).to.deep.equal([0, -0.25]);
    expect(Array.from(mixToMono(audio))).to.deep.equal([0.25, 0]);
  });

  it('reads a streamed recording whose data size is a placeholder, to the last whole frame', () => {
    const bytes = wav({ bits: 16, frames: ramp, dataSize: 0xffffffff });
    const audio = decodeWav(bytes.subarray(0, bytes.length - 1), 'stream.wav');
    expect(audio.channels[0]).to.have.length(4);
  });

  it('refuses what it cannot read with one line naming the file and what was expected', () => {
    const cases: [Uint8Array, string][] = [
      [
        new Uint8Array(Buffer.from('ID3 not a wave file at all')),
        'a.wav: not a WAV file (expected "RIFF" at byte 0 and "WAVE" at byte 8, found "ID3 "/"a wa")',
      ],
      [
        wav({ bits: 16, declaredBits: 12, frames: ramp }),
        'a.wav: 12-bit integer PCM samples: expected PCM 8/16/24/32-bit integer or 32-bit float',
      ],
      [
        wav({ bits: 32, format: 2, frames: [] }),
        'a.wav: format code 2 samples: expected PCM 8/16/24/32-bit integer or 32-bit float',
      ],
      [wav({ bits: 16, channels: 3, frames: [[0, 0, 0]] }), 'a.wav: 3 channels: expected mono or stereo'],
      [
        wav({ bits: 16, frames: ramp }).subarray(0, 36),
        'a.wav: no "data" chunk: expected the audio samples after the "fmt " chunk',
      ],
    ];
    for (const [bytes, message] of cases) {
      expect(() => decodeWav(bytes, 'a.wav')).to.throw(message);
      expect(message).to.not.include('\n');
    }
  });

  it('names a missing file', () => {
    const missing = path.join(os.tmpdir(), 'groovebox-no-such.wav');
    expect(() => readWavFile(missing)).to.throw(`${missing}: file not found`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wav-'));
    try {
      fs.writeFileSync(path.join(dir, 'ok.wav'), wav({ bits: 16, frames: ramp }));
      expect(readWavFile(path.join(dir, 'ok.wav')).channels[0]).to.have.length(5);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});
