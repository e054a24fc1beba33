import * as v from 'valibot';
import { DRUM_COUNT, DRUMS } from '../pattern/drums.js';
import { STEPS } from '../pattern/pattern.js';
import * as validation from '../support/validate.js';
import { validate } from '../support/validate.js';
import { barsRepeat, type AccentSource, type GestureState } from './state.js';

// Reading a GestureState back from JSON, apart from state.ts: the panel page's bundle uses the state's
// functions and has no use for the validator.

const rowOfSteps = (expected: string) =>
  v.custom<unknown[]>((row) => Array.isArray(row) && row.length === STEPS, expected);
const binaryRow = v.pipe(rowOfSteps(`${STEPS} numbers`), v.array(v.picklist([0, 1], '0 or 1')));
const rangeRow = (lo: number, hi: number) =>
  v.pipe(rowOfSteps(`${STEPS} numbers`), v.array(validation.numberIn(lo, hi, `a number ${lo}..${hi}`)));
const ACCENT_SOURCES = ['none', 'grid', 'taps'] as const satisfies readonly AccentSource[];

/** A state as JSON: keys other than these are left out; a missing groove, accent or flag reads as none. */
const GESTURE_STATE_JSON = v.pipe(
  v.custom<unknown>((json) => typeof json === 'object' && json !== null, 'an object'),
  validation.objectWith(
    {
      scores: v.pipe(
        v.custom<unknown[]>(
          (scores) => Array.isArray(scores) && scores.length === DRUM_COUNT,
          `${DRUM_COUNT} entries (${DRUMS.join(', ')})`,
        ),
        v.array(v.nullable(binaryRow)),
      ),
      groove: v.nullish(
        validation.objectWith(
          { hits: binaryRow, velocities: rangeRow(0, 1), offsets: rangeRow(-1, 1) },
          'an object or null',
        ),
        null,
      ),
      accent: v.nullish(binaryRow, null),
      accentSource: v.nullish(validation.oneOf(ACCENT_SOURCES)),
      barsLinked: v.nullish(validation.flag()),
    },
    'an object',
  ),
);

/**
 * Reads a state back from JSON (a slot file, the panel's websocket), checking
 * every field; errors are one line naming the field, what was expected and what came.
 */
export function gestureStateFromJSON(json: unknown, where = 'gestures'): GestureState {
  const o = validate(GESTURE_STATE_JSON, json, (problem) => {
    // A score row is named by its drum too: scores[2] (closedHat)[7].
    const at = problem.path.replace(/^scores\[(\d+)\]/, (row, d: string) => `${row} (${DRUMS[Number(d)]})`);
    const got = Array.isArray(problem.value) ? `${problem.value.length} entries` : JSON.stringify(problem.value);
    const line = `${at ? `${where}.${at}` : where}: expected ${problem.expected}, got ${got}`;
    return problem.expected.startsWith('a number') ? new RangeError(line) : new TypeError(line);
  });
  const { scores, groove, accent } = o;
  const accentSource: AccentSource = o.accentSource ?? (accent ? 'grid' : 'none');
  // Saved before bar linking existed: unlinked, so the next edit of bar 1 does not overwrite the bar 2 that was made.
  const barsLinked = o.barsLinked ?? false;
  const state = { scores, groove, accent, accentSource, barsLinked };
  if (barsLinked && !barsRepeat(state))
    throw new TypeError(`${where}.barsLinked: true, but bar 2 differs from bar 1 (linked bars repeat bar 1)`);
  return state;
}
