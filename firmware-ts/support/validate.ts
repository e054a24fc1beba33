import * as v from 'valibot';
import { jsonErrorText } from '../storage/json-error.js';

/**
 * The one way input is validated (config, panel messages, slots, saved state):
 * a valibot schema says what is accepted and the types are derived from it, so
 * the check and the type cannot drift. Each schema's message is the
 * "expected ..." half of an error line; `validate` turns valibot's first issue
 * into a `Problem`, and each caller words its own one-line error from it (a
 * config file names the file, a panel message names the field).
 */

/** The first thing wrong with a value. */
export interface Problem {
  /** Where: keys joined with dots, list positions in brackets (midi.noteLength, groove.offsets[3]); '' for the value itself. */
  path: string;
  /** What was found there; for an unknown key, that key's value. */
  value: unknown;
  /** What was expected there (the schema's message). */
  expected: string;
  /** The key itself is not one the schema knows. */
  unknownKey: boolean;
  /** The object holding the value (for an unknown key: the object that has it), when there is one. */
  parent: Record<string, unknown> | null;
}

/** Parses `input` with `schema`, or throws `refuse`'s error for the first problem found. */
export function validate<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  refuse: (problem: Problem) => Error,
): v.InferOutput<S> {
  const result = v.safeParse(schema, input, { abortEarly: true });
  if (result.success) return result.output;
  throw refuse(problemOf(result.issues[0]));
}

/**
 * A small JSON file's text, parsed and checked by `schema`: text that is not
 * JSON and the first problem found are each thrown as one line naming the file.
 */
export function validateJsonFile<S extends v.GenericSchema>(schema: S, text: string, file: string): v.InferOutput<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${jsonErrorText(error)})`, { cause: error });
  }
  return validate(schema, json, (problem) => new Error(problemLine(file, problem)));
}

/**
 * A problem in a file as one line: "file: key = value: expected ...", the
 * wording config errors use too, so every file the box reads reports alike.
 */
export function problemLine(file: string, problem: Problem): string {
  return `${file}: ${problem.path || '(top level)'} = ${shown(problem.value)}: expected ${problem.expected}`;
}

/**
 * A value as an error line shows it: JSON, cut short so the line stays one
 * readable line; a missing key as (missing). Exported for the checks a schema
 * cannot make (one key against another), so their lines read like the rest.
 */
export function shown(value: unknown): string {
  if (value === undefined) return '(missing)';
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function problemOf(issue: v.BaseIssue<unknown>): Problem {
  const path = issue.path ?? [];
  const last = path[path.length - 1];
  // valibot's strict objects report an unknown key as a key issue that expected "never".
  const unknownKey = last !== undefined && last.origin === 'key' && issue.expected === 'never';
  let where = '';
  for (const item of path) {
    if (typeof item.key === 'number') where += `[${item.key}]`;
    else where += where === '' ? String(item.key) : `.${String(item.key)}`;
  }
  return {
    path: where,
    value: unknownKey ? last.value : issue.input,
    expected: issue.message,
    unknownKey,
    parent:
      last && typeof last.input === 'object' && last.input !== null ? (last.input as Record<string, unknown>) : null,
  };
}

// ---- schema pieces shared by every caller, each carrying its "expected ..." text ----

/** A JSON object (not an array, not null). */
export const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * An object with exactly these keys (each optional only if its schema is):
 * any other key is refused, so a typo or a field our code never sends is not
 * silently ignored. Own keys only: "constructor" or "__proto__" are unknown keys.
 * `unknown` words the unknown-key message (it is given the list of known keys).
 * Arrays are objects here too: `strictRecord` refuses them; this form is for
 * the options of a `v.variant`, which must be plain object schemas.
 */
export function strictEntries<const E extends v.ObjectEntries>(
  entries: E,
  expected: string,
  unknown?: (known: string) => string,
) {
  return v.strictObject(entries, entryMessages(entries, expected, unknown));
}

/** Like `strictEntries`, for files that may hold more than we read (a slot's savedAt): other keys are left out. */
export function objectWith<const E extends v.ObjectEntries>(entries: E, expected: string) {
  return v.object(entries, entryMessages(entries, expected));
}

/** The messages of an object schema: an unknown key, a missing key (worded by its own schema), or not an object. */
function entryMessages(
  entries: v.ObjectEntries,
  expected: string,
  unknown: (known: string) => string = (known) => `no such key (known: ${known})`,
): (issue: v.BaseIssue<unknown>) => string {
  const known = Object.keys(entries).join(', ');
  // A missing key is worded by its own schema's message (through null-or-x wrappers); 'a value' where it has none.
  const missing = (key: unknown): string | null => {
    if (typeof key !== 'string' || !Object.hasOwn(entries, key)) return null;
    let schema = entries[key] as { message?: unknown; wrapped?: unknown };
    while (schema.message === undefined && schema.wrapped !== undefined) schema = schema.wrapped as typeof schema;
    return typeof schema.message === 'string' ? schema.message : 'a value';
  };
  return (issue) => (issue.expected === 'never' ? unknown(known) : (missing(issue.path?.at(-1)?.key) ?? expected));
}

/** `objectWith` for a JSON object (a small file's top level): an array or null is refused with `expected` too. */
export function plainObjectWith<const E extends v.ObjectEntries>(entries: E, expected: string) {
  return v.pipe(v.custom<unknown>(isPlainObject, expected), objectWith(entries, expected));
}

/** `strictEntries` for a JSON object: an array is refused with `expected` too. */
export function strictRecord<const E extends v.ObjectEntries>(
  entries: E,
  expected: string,
  unknown?: (known: string) => string,
) {
  return v.pipe(v.custom<unknown>(isPlainObject, expected), strictEntries(entries, expected, unknown));
}

/** A finite number in lo..hi. */
export const numberIn = (lo: number, hi: number, expected: string) =>
  v.pipe(v.number(expected), v.finite(expected), v.minValue(lo, expected), v.maxValue(hi, expected));

/** An integer in lo..hi. */
export const integerIn = (lo: number, hi: number, expected: string) =>
  v.pipe(v.number(expected), v.integer(expected), v.minValue(lo, expected), v.maxValue(hi, expected));

/** true or false. */
export const flag = (expected = 'true or false') => v.boolean(expected);

/** One of the given strings. */
export const oneOf = <const T extends readonly string[]>(options: T, expected = `one of ${options.join(', ')}`) =>
  v.picklist(options, expected);
