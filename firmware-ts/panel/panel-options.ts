// The panel server's options: their defaults, and the one check of them at start with messages a
// performer can act on.

import type { DeviceLog } from '../support/log.js';
import type { Clock } from '../time/clock.js';
import { badTokenCharacter, isLoopbackAddress, MIN_TOKEN_LENGTH } from './bind-rules.js';

export const DEFAULT_PANEL_HOST = '127.0.0.1';
export const DEFAULT_PANEL_PORT = 8080;
/** The largest message a page ever sends is ~150 bytes; 4 KiB leaves room and refuses floods. */
export const DEFAULT_MAX_PAYLOAD = 4096;

export interface PanelServerOptions {
  /** Where to listen. Loopback unless the performer asks for more; anything else needs `token`. */
  host?: string;
  /** 0 picks a free port (tests). */
  port?: number;
  /** Shared secret for pages and downloads; required for a non-loopback host. */
  token?: string;
  clock: Clock;
  log?: DeviceLog;
  maxPayload?: number;
}

/** A misconfigured panel: one line naming the option, what it needs and what it got. */
export class PanelConfigError extends Error {
  override name = 'PanelConfigError';
}

/** Validates host, port, token and payload limit once, with messages a performer can act on. */
export function checkOptions(
  options: PanelServerOptions,
  maxPayload: number,
): { host: string; port: number; token: string | null } {
  const host = options.host ?? DEFAULT_PANEL_HOST;
  const port = options.port ?? DEFAULT_PANEL_PORT;
  const token = options.token ?? null;
  if (typeof host !== 'string' || host.length === 0)
    throw new PanelConfigError(
      `panel host (--host or panel.host): expected an address like 127.0.0.1, got ${JSON.stringify(host)}`,
    );
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new PanelConfigError(`panel: --port expects an integer 0..65535, got ${JSON.stringify(port)}`);
  if (!Number.isInteger(maxPayload) || maxPayload < 256 || maxPayload > 1 << 20)
    throw new PanelConfigError(`panel: maxPayload expects 256..1048576 bytes, got ${maxPayload}`);
  if (token !== null) {
    if (typeof token !== 'string' || token.length === 0 || badTokenCharacter(token) >= 0)
      throw new PanelConfigError('panel token (--token or panel.token): expected printable ASCII without spaces');
    if (token.length < MIN_TOKEN_LENGTH)
      throw new PanelConfigError(
        `panel token (--token or panel.token): expected at least ${MIN_TOKEN_LENGTH} characters (got ${token.length}); e.g. openssl rand -hex 16`,
      );
  }
  if (!isLoopbackAddress(host) && token === null) {
    throw new PanelConfigError(
      `panel host ${host} opens the panel to the network: give a token too (--token or panel.token, at least ${MIN_TOKEN_LENGTH} characters, e.g. openssl rand -hex 16)`,
    );
  }
  return { host, port, token };
}
