// Markdown tables for the report: number formats, the players evaluated, and columns whose best value is bold.

import type { EvaluationResults } from './evaluate.js';

export const n3 = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(3);
export const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
export const evaluated = (r: EvaluationResults) => Object.keys(r.players);
export const models = (r: EvaluationResults) => evaluated(r).filter((n) => r.players[n].kind === 'model');
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
export const table = (head: string[], rows: (string | number)[][]) =>
  [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');

/** How a column's best value is found: the lowest, the highest, or the closest to a target. */
export type Best = 'low' | 'high' | { target: number };

/**
 * Formats a column with its best value in bold (ties all bold); `null` cells
 * (a player that could not be measured) read "n/a" and never win.
 */
export function column(values: (number | null | undefined)[], best: Best, digits = 3): string[] {
  const score = (v: number) => (best === 'low' ? v : best === 'high' ? -v : Math.abs(v - best.target));
  const finite = values.filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));
  const top = finite.length > 1 ? Math.min(...finite.map((v) => Number(score(v).toFixed(digits)))) : NaN;
  return values.map((v) => {
    if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
    const text = v.toFixed(digits);
    return Number(score(v).toFixed(digits)) === top ? `**${text}**` : text;
  });
}

/** A table whose columns are each marked on their own; `columns[c][row]` is the cell. */
export function markedTable(
  head: string[],
  names: string[],
  columns: string[][],
  extraRows: (string | number)[][] = [],
): string {
  return table(head, [...names.map((n, i) => [n, ...columns.map((c) => c[i])]), ...extraRows]);
}
