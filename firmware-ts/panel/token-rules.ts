/**
 * What a LAN panel token must be, in one place for the config check (at
 * start, before the model loads) and the panel server (which may also be
 * started directly).
 */

/** A token shorter than this is guessable over a LAN in an evening. */
export const MIN_TOKEN_LENGTH = 16;

/** Where the first character a token may not hold is (printable ASCII without spaces: safe in a URL and a shell), or -1. */
export function badTokenCharacter(token: string): number {
  return token.search(/[^\x21-\x7e]/);
}
