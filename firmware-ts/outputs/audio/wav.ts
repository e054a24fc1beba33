/** 16-bit PCM WAV bytes of an AudioBuffer-like (channels interleaved, clipped to +-1). */
export function encodeWav(channels: readonly Float32Array[], sampleRate: number): Uint8Array {
  const n = channels[0]?.length ?? 0;
  const ch = channels.length;
  const dataBytes = n * ch * 2;
  const out = new DataView(new ArrayBuffer(44 + dataBytes));
  const ascii = (at: number, s: string) => [...s].forEach((c, i) => out.setUint8(at + i, c.charCodeAt(0)));
  ascii(0, 'RIFF');
  out.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  out.setUint32(16, 16, true);
  out.setUint16(20, 1, true); // PCM
  out.setUint16(22, ch, true);
  out.setUint32(24, sampleRate, true);
  out.setUint32(28, sampleRate * ch * 2, true);
  out.setUint16(32, ch * 2, true);
  out.setUint16(34, 16, true);
  ascii(36, 'data');
  out.setUint32(40, dataBytes, true);
  let at = 44;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < ch; c++) {
      const x = Math.max(-1, Math.min(1, channels[c][i]));
      out.setInt16(at, Math.round(x < 0 ? x * 0x8000 : x * 0x7fff), true);
      at += 2;
    }
  }
  return new Uint8Array(out.buffer);
}
