// results.json, both ways: what an evaluation writes, and reading it back to render the report again.

import type { EvaluationResults } from './evaluate.js';

/** results.json: one key per evaluated player (models, then the non-neural ones; what the acceptance checks read), plus meta and reference. */
export function resultsJson(r: EvaluationResults): string {
  return (
    JSON.stringify(
      { ...r.players, meta: r.meta, reference: r.reference },
      (_, v) =>
        typeof v === 'number' && !Number.isFinite(v) ? null : typeof v === 'number' ? Number(v.toPrecision(6)) : v,
      2,
    ) + '\n'
  );
}

/**
 * Reads results.json back (what `evaluate --from` re-renders results.md from):
 * every top-level key but meta and reference is a player.
 */
export function resultsFromJson(text: string, where: string): EvaluationResults {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${where}: not JSON (${(err as Error).message})`, { cause: err });
  }
  const { meta, reference, ...players } = raw;
  if (typeof meta !== 'object' || meta === null || typeof reference !== 'object' || reference === null)
    throw new Error(`${where}: expected the "meta" and "reference" objects of an evaluation's results.json`);
  for (const [name, p] of Object.entries(players)) {
    if (typeof p !== 'object' || p === null || !('measures' in p))
      throw new Error(
        `${where}: ${name}: expected a player's results with "measures" (results.json from an older evaluation cannot be re-rendered)`,
      );
  }
  return { meta, reference, players } as unknown as EvaluationResults;
}
