import { WebSocket } from 'ws';
import type { ServerMessage } from '../../firmware-ts/panel/protocol.js';

/** The panel's WebSocket address on loopback, for a server started on `port` (`query`: e.g. "?token=..."). */
export const wsUrl = (server: { port: number }, query = ''): string => `ws://127.0.0.1:${server.port}/ws${query}`;

/**
 * A test instrument for the panel: a WebSocket client that keeps every
 * message it gets and lets a test wait for the next one of a type. Waiting
 * is on events only; the mocha timeout is the only bound.
 */
export class PanelTestClient {
  readonly ws: WebSocket;
  readonly received: ServerMessage[] = [];
  #cursor = new Map<string, number>();
  #waiters: (() => void)[] = [];
  /** Set when the socket closed: its close code. */
  closeCode: number | null = null;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      this.received.push(JSON.parse(String(data)) as ServerMessage);
      this.#wake();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.#wake();
    });
    ws.on('error', () => {});
  }

  static open(url: string, options: { headers?: Record<string, string> } = {}): Promise<PanelTestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: options.headers });
      const client = new PanelTestClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) =>
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })),
      );
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next message of `type` not yet taken by an earlier `next` call (in arrival order). */
  async next<T extends ServerMessage['type']>(type: T): Promise<Extract<ServerMessage, { type: T }>> {
    for (;;) {
      const from = this.#cursor.get(type) ?? 0;
      const index = this.received.findIndex((m, i) => i >= from && m.type === type);
      if (index >= 0) {
        this.#cursor.set(type, index + 1);
        return this.received[index] as Extract<ServerMessage, { type: T }>;
      }
      if (this.closeCode !== null)
        throw new Error(`socket closed (${this.closeCode}) while waiting for a ${type} message`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Resolves once the socket has closed; returns the close code. */
  async closed(): Promise<number> {
    while (this.closeCode === null) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    return this.closeCode;
  }

  close(): Promise<number> {
    this.ws.close();
    return this.closed();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
}

/** Resolves with the next value a subscription delivers. */
export function nextEvent<T extends unknown[]>(subscribe: (listener: (...args: T) => void) => () => void): Promise<T> {
  return new Promise((resolve) => {
    const off = subscribe((...args) => {
      off();
      resolve(args);
    });
  });
}
