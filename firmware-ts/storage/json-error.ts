/**
 * A JSON.parse error as one line. V8 quotes the text around the fault, raw
 * newlines and tabs included, and every error here is one line naming the
 * file: the control characters are written as escapes.
 */
export function jsonErrorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // Below U+0020 JSON's own escapes (\n, \t, \u0001); DEL, NEL and the Unicode line and paragraph separators as \uXXXX.
  // eslint-disable-next-line no-control-regex -- finding control characters is what this function is for
  return message.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, (c) =>
    c < ' ' ? JSON.stringify(c).slice(1, -1) : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
