import net from 'node:net';

/**
 * Which hosts keep the panel on this machine, and what a LAN panel token must
 * be: in one place for the config check (at start, before the model loads)
 * and the panel server (which may also be started directly).
 */

/** A host the panel may bind without a token: the loopback interface only. */
export function isLoopbackAddress(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1' || /^::ffff:127\./i.test(host);
  return false;
}

/** A token shorter than this is guessable over a LAN in an evening. */
export const MIN_TOKEN_LENGTH = 16;

/** Where the first character a token may not hold is (printable ASCII without spaces: safe in a URL and a shell), or -1. */
export function badTokenCharacter(token: string): number {
  return token.search(/[^\x21-\x7e]/);
}
