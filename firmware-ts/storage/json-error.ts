/**
 * A JSON.parse error as one line. V8 quotes the text around the fault, raw
 * newlines and tabs included, and every error here is one line naming the
 * file: the control characters are written as escapes.
 */
export function jsonErrorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}
