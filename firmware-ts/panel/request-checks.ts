// Who may use the panel: the host, token and origin rules that every request and socket passes, and the
// parts of a request they read.

import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { echoHeader, type RefusalKind } from './refusal-log.js';

/** Why a request or socket is refused, and with what HTTP status. */
export interface Denial {
  status: number;
  kind: RefusalKind;
  reason: string;
}

/** Host and token rules shared by the socket and the downloads; null when allowed. */
export function deny(req: http.IncomingMessage, url: URL, token: string | null, port: number): Denial | null {
  const host = denyHost(req, token, port);
  if (host) return host;
  if (token && !tokenMatches(url.searchParams.get('token'), token))
    return { status: 401, kind: 'token', reason: 'wrong or missing token' };
  return null;
}

/** The host rule alone (the page itself needs no token); null when allowed. */
export function denyHost(req: http.IncomingMessage, token: string | null, port: number): Denial | null {
  // On loopback, a Host that is not ours means a page elsewhere resolved its own name to 127.0.0.1 (DNS rebinding).
  if (!token && !isLoopbackHostHeader(req.headers.host, port))
    return {
      status: 403,
      kind: 'host',
      reason: `host ${echoHeader(req.headers.host ?? '(none)')} is not this panel`,
    };
  return null;
}

function isLoopbackHostHeader(hostHeader: string | undefined, port: number): boolean {
  if (!hostHeader) return false;
  const h = hostHeader.toLowerCase();
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(h);
}

/** Equal-time comparison: hashing first makes the lengths equal, so neither content nor length leaks through timing. */
export function tokenMatches(given: string | null, expected: string): boolean {
  const a = createHash('sha256')
    .update(given ?? '')
    .digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given !== null;
}

export function originHost(origin: string): string | null {
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.host.toLowerCase() : null;
  } catch {
    return null;
  }
}

/** Only the path and query of a request are used; the base is a placeholder, never a host we trust. */
export function requestUrl(req: http.IncomingMessage): URL {
  try {
    return new URL(req.url ?? '/', 'http://panel.invalid');
  } catch {
    return new URL('http://panel.invalid/invalid');
  }
}
