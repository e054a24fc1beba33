// The page's WebSocket to the daemon: one at a time, reconnecting with a growing pause
// when it closes, so a restarted daemon finds its panels again.

import type { ServerMessage } from '../protocol.js';

export interface SocketEvents {
  open(): void;
  message(m: ServerMessage): void;
  /** The socket closed; `reason` is for the performer. */
  close(reason: string): void;
}

let socket: WebSocket | null = null;
let retry = 0;

export function connect(token: string | null, on: SocketEvents): void {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  const ws = new WebSocket(url);
  socket = ws;
  ws.addEventListener('open', () => {
    retry = 0;
    on.open();
  });
  ws.addEventListener('message', (e) => {
    let m: ServerMessage;
    try {
      m = JSON.parse(String(e.data)) as ServerMessage;
    } catch {
      return;
    }
    on.message(m);
  });
  ws.addEventListener('close', (e) => {
    if (socket !== ws) return;
    socket = null;
    const reason = e.code === 1009 ? 'message too large' : e.reason || `code ${e.code}`;
    on.close(reason);
    retry = Math.min(retry + 1, 6);
    setTimeout(() => connect(token, on), 250 * 2 ** retry);
  });
}

export function send(message: object): void {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}
