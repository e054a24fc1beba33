/**
 * Two tiny SVG chart kinds for docs/ (no plotting library on the box): bars
 * with intervals and reference markers (Table 1), and histogram panels (Figure 3).
 */

const FONT = 'font-family="sans-serif" font-size="12"';
const COLORS = ['#3366aa', '#cc6633', '#339966', '#aa3377'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const f = (x: number) => Number(x.toFixed(2));

function svg(width: number, height: number, body: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n<rect width="100%" height="100%" fill="white"/>\n${body.join('\n')}\n</svg>\n`;
}

export interface Bar {
  label: string;
  value: number;
  ci?: [number, number];
  /** A reference value drawn as a black tick (e.g. the paper's number). */
  reference?: number;
}

export function barChart(title: string, bars: Bar[], yLabel: string, referenceLabel: string): string {
  const W = 520,
    H = 300,
    left = 60,
    right = 20,
    top = 36,
    bottom = 50;
  const max =
    Math.max(...bars.flatMap((b) => [b.value, b.ci?.[1] ?? 0, b.reference ?? 0]).filter(Number.isFinite), 1e-6) * 1.15;
  const y = (v: number) => top + (H - top - bottom) * (1 - v / max);
  const slot = (W - left - right) / bars.length;
  const body = [
    `<text x="${W / 2}" y="20" text-anchor="middle" ${FONT} font-weight="bold">${esc(title)}</text>`,
    `<line x1="${left}" y1="${y(0)}" x2="${W - right}" y2="${y(0)}" stroke="black"/>`,
    `<text transform="translate(16 ${(top + H - bottom) / 2}) rotate(-90)" text-anchor="middle" ${FONT}>${esc(yLabel)}</text>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const v = (max / 1.15) * (k / 4);
    body.push(`<text x="${left - 6}" y="${f(y(v) + 4)}" text-anchor="end" ${FONT}>${v.toFixed(2)}</text>`);
  }
  bars.forEach((b, i) => {
    const x = left + i * slot + slot * 0.2,
      w = slot * 0.6;
    if (Number.isFinite(b.value))
      body.push(
        `<rect x="${f(x)}" y="${f(y(b.value))}" width="${f(w)}" height="${f(y(0) - y(b.value))}" fill="${COLORS[i % COLORS.length]}"/>`,
      );
    if (b.ci)
      body.push(
        `<line x1="${f(x + w / 2)}" y1="${f(y(b.ci[0]))}" x2="${f(x + w / 2)}" y2="${f(y(b.ci[1]))}" stroke="black" stroke-width="2"/>`,
      );
    if (b.reference !== undefined)
      body.push(
        `<line x1="${f(x - 4)}" y1="${f(y(b.reference))}" x2="${f(x + w + 4)}" y2="${f(y(b.reference))}" stroke="black" stroke-width="3" stroke-dasharray="6 3"/>`,
      );
    body.push(`<text x="${f(x + w / 2)}" y="${H - bottom + 18}" text-anchor="middle" ${FONT}>${esc(b.label)}</text>`);
    body.push(
      `<text x="${f(x + w / 2)}" y="${H - bottom + 34}" text-anchor="middle" ${FONT}>${Number.isFinite(b.value) ? b.value.toFixed(3) : 'n/a'}</text>`,
    );
  });
  body.push(
    `<line x1="${W - 190}" y1="${top - 4}" x2="${W - 160}" y2="${top - 4}" stroke="black" stroke-width="3" stroke-dasharray="6 3"/><text x="${W - 154}" y="${top}" ${FONT}>${esc(referenceLabel)}</text>`,
  );
  return svg(W, H, body);
}

export interface HistogramPanel {
  title: string;
  lo: number;
  hi: number;
  series: { label: string; counts: number[] }[];
  /** A value marked by a vertical dashed line (the target). */
  marker?: number;
}

/** Side-by-side panels; each series is normalised to a density so series of different sizes compare. */
export function histogramPanels(title: string, panels: HistogramPanel[], xLabel: string): string {
  const PW = 260,
    PH = 200,
    gap = 20,
    top = 40,
    bottom = 60,
    left = 20;
  const W = left + panels.length * (PW + gap),
    H = top + PH + bottom;
  const body = [`<text x="${W / 2}" y="20" text-anchor="middle" ${FONT} font-weight="bold">${esc(title)}</text>`];
  panels.forEach((p, i) => {
    const x0 = left + i * (PW + gap);
    const bins = p.series[0]?.counts.length ?? 1;
    const densities = p.series.map((s) => {
      const total = s.counts.reduce((a, b) => a + b, 0) || 1;
      return s.counts.map((c) => c / total);
    });
    const max = Math.max(1e-9, ...densities.flat()) * 1.1;
    const x = (v: number) => x0 + ((v - p.lo) / (p.hi - p.lo)) * PW;
    const y = (d: number) => top + PH * (1 - d / max);
    body.push(`<rect x="${x0}" y="${top}" width="${PW}" height="${PH}" fill="none" stroke="#999"/>`);
    body.push(`<text x="${x0 + PW / 2}" y="${top - 6}" text-anchor="middle" ${FONT}>${esc(p.title)}</text>`);
    densities.forEach((d, s) => {
      const points = d.flatMap((v, b) => {
        const a = p.lo + ((p.hi - p.lo) * b) / bins,
          e = p.lo + ((p.hi - p.lo) * (b + 1)) / bins;
        return [`${f(x(a))},${f(y(v))}`, `${f(x(e))},${f(y(v))}`];
      });
      body.push(
        `<polyline points="${f(x(p.lo))},${f(y(0))} ${points.join(' ')} ${f(x(p.hi))},${f(y(0))}" fill="${COLORS[s % COLORS.length]}" fill-opacity="${s === 0 ? 0.45 : 0}" stroke="${COLORS[s % COLORS.length]}" stroke-width="1.5"/>`,
      );
    });
    if (p.marker !== undefined)
      body.push(
        `<line x1="${f(x(p.marker))}" y1="${top}" x2="${f(x(p.marker))}" y2="${top + PH}" stroke="black" stroke-dasharray="5 3"/>`,
      );
    for (const v of [p.lo, (p.lo + p.hi) / 2, p.hi])
      body.push(`<text x="${f(x(v))}" y="${top + PH + 16}" text-anchor="middle" ${FONT}>${v}</text>`);
    body.push(`<text x="${x0 + PW / 2}" y="${top + PH + 34}" text-anchor="middle" ${FONT}>${esc(xLabel)}</text>`);
  });
  const series = panels[0]?.series ?? [];
  series.forEach((s, k) =>
    body.push(
      `<rect x="${left + k * 110}" y="${H - 10}" width="10" height="8" fill="${COLORS[k % COLORS.length]}"/><text x="${left + k * 110 + 14}" y="${H - 2}" ${FONT}>${esc(s.label)}</text>`,
    ),
  );
  if (panels.some((p) => p.marker !== undefined)) {
    const x = left + series.length * 110;
    body.push(
      `<line x1="${x}" y1="${H - 6}" x2="${x + 24}" y2="${H - 6}" stroke="black" stroke-dasharray="5 3"/><text x="${x + 30}" y="${H - 2}" ${FONT}>target</text>`,
    );
  }
  return svg(W, H + 4, body);
}
