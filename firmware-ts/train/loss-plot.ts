import fs from 'node:fs';

/** Reads a train-log.csv written by the trainer into columns by name. */
export function readLossLog(file: string): Record<string, number[]> {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const columns: Record<string, number[]> = Object.fromEntries(header.map((h) => [h, []]));
  for (const line of lines.slice(1)) line.split(',').forEach((v, i) => columns[header[i]]?.push(Number(v)));
  return columns;
}

/**
 * The loss curves of one run as a small standalone SVG: train and validation
 * total loss per epoch, plus the reconstruction part of each.
 */
export function lossCurvesSvg(title: string, columns: Record<string, number[]>): string {
  const width = 640,
    height = 360,
    left = 56,
    right = 16,
    top = 32,
    bottom = 40;
  const x = columns.epoch ?? [];
  const series: { name: string; values: number[]; color: string; dash?: string }[] = [
    { name: 'train loss', values: columns.train_loss ?? [], color: '#1f77b4' },
    { name: 'validation loss', values: columns.val_loss ?? [], color: '#d62728' },
    { name: 'train hits', values: columns.train_hits ?? [], color: '#1f77b4', dash: '4 3' },
    { name: 'validation hits', values: columns.val_hits ?? [], color: '#d62728', dash: '4 3' },
  ].filter((s) => s.values.length > 0 && s.values.every(Number.isFinite));
  const all = series.flatMap((s) => s.values);
  const yMin = Math.min(...all, Infinity),
    yMax = Math.max(...all, -Infinity);
  const xMax = Math.max(1, ...x);
  const sx = (v: number) => left + ((v - 0) / xMax) * (width - left - right);
  const sy = (v: number) => top + (1 - (v - yMin) / (yMax - yMin || 1)) * (height - top - bottom);
  const ticks = 5;
  const grid = Array.from({ length: ticks + 1 }, (_, k) => yMin + ((yMax - yMin) * k) / ticks)
    .map(
      (v) =>
        `<line x1="${left}" x2="${width - right}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}" stroke="#ddd"/><text x="${left - 6}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end">${v.toFixed(1)}</text>`,
    )
    .join('');
  const lines = series
    .map(
      (s) =>
        `<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} points="${s.values.map((v, i) => `${sx(x[i]).toFixed(1)},${sy(v).toFixed(1)}`).join(' ')}"/>`,
    )
    .join('');
  const legend = series
    .map(
      (s, i) =>
        `<g transform="translate(${left + 10 + i * 140},${height - 12})"><line x1="0" x2="18" y1="-4" y2="-4" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/><text x="22" y="0">${s.name}</text></g>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/><text x="${left}" y="20" font-size="14">${escapeXml(title)}</text>${grid}
<line x1="${left}" x2="${left}" y1="${top}" y2="${height - bottom}" stroke="#333"/><text x="${(width / 2).toFixed(0)}" y="${height - 24}" text-anchor="middle">epoch (of ${xMax})</text>
${lines}${legend}</svg>
`;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}
