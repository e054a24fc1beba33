import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { BUTTON_NAMES } from '../devices/interfaces.js';
import { silentLog, type DeviceLog } from '../support/log.js';
import type { Clock } from '../time/clock.js';
import { readPage, STATIC_FILES } from './page-files.js';
import { checkOptions, DEFAULT_MAX_PAYLOAD, PanelConfigError, type PanelServerOptions } from './panel-options.js';
import { type PanelCommand, type PanelSnapshot, type ServerMessage } from './protocol.js';
import { echoHeader, RefusalLog, type RefusalKind } from './refusal-log.js';
import { deny, denyHost, originHost, requestUrl } from './request-checks.js';
import { PanelSession } from './session.js';
import { VirtualButtons, VirtualStepGrid, VirtualTapPad, VirtualTempo } from './virtual-devices.js';
import { VirtualMidiInput } from './virtual-midi-input.js';

// What the server's users import, from where each now lives.
export { MIN_TOKEN_LENGTH } from './bind-rules.js';
export { PAGE_BUILD_DIR, PAGE_DIR } from './page-files.js';
export {
  DEFAULT_MAX_PAYLOAD,
  DEFAULT_PANEL_HOST,
  DEFAULT_PANEL_PORT,
  PanelConfigError,
  type PanelServerOptions,
} from './panel-options.js';
export { tokenMatches } from './request-checks.js';

/** A few tabs and a phone are normal; hundreds of sockets are not. */
const MAX_CLIENTS = 16;
/** A page that reads slower than the daemon publishes gets frames dropped, not a growing buffer in the daemon. */
const MAX_BUFFERED_BYTES = 1 << 20;

/** The current loop as MIDI bytes (or the box's `midiFile()` result, whose bytes are used). */
export type ExportProvider = () => Uint8Array | { bytes: Uint8Array } | Promise<Uint8Array | { bytes: Uint8Array }>;

/**
 * The virtual front panel: an HTTP + WebSocket server whose pages are one more
 * implementation of the front panel's devices. The daemon attaches its
 * gesture code to `devices` exactly as to the hardware, pushes its state with
 * `publish`, and listens to the panel-only controls with `onCommand`.
 */
export class PanelServer {
  readonly devices: {
    grid: VirtualStepGrid;
    tapPad: VirtualTapPad;
    buttons: VirtualButtons;
    tempo: VirtualTempo;
    midiIn: VirtualMidiInput;
  };
  readonly #clock: Clock;
  readonly #log: DeviceLog;
  readonly #options: PanelServerOptions;
  readonly #maxPayload: number;
  readonly #sessions = new Map<WebSocket, PanelSession>();
  readonly #commandListeners = new Set<(command: PanelCommand) => void | Promise<void>>();
  readonly #refusals: RefusalLog;
  #files = new Map<string, Buffer>();
  #http: http.Server | null = null;
  #port = 0;
  #snapshot: PanelSnapshot | null = null;
  #snapshotText: string | null = null;
  #exportProvider: ExportProvider | null = null;
  #sessionCount = 0;

  constructor(options: PanelServerOptions) {
    if (!options || typeof options.clock?.now !== 'function')
      throw new PanelConfigError('panel: options.clock is required (a Clock with now() and setTimeout())');
    this.#options = options;
    this.#clock = options.clock;
    this.#log = options.log ?? silentLog;
    this.#maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    this.#refusals = new RefusalLog(this.#clock, this.#log);
    const onListenerError = (err: unknown): void =>
      this.#log.warn(`a panel device listener failed: ${(err as Error)?.stack ?? err}`);
    this.devices = {
      grid: new VirtualStepGrid((leds) => this.#broadcast({ type: 'leds', leds }), onListenerError),
      tapPad: new VirtualTapPad(onListenerError),
      buttons: new VirtualButtons(onListenerError),
      tempo: new VirtualTempo(onListenerError),
      midiIn: new VirtualMidiInput(onListenerError),
    };
  }

  /** Checks the options, reads the page and listens. Resolves with the panel's URL (without the token). */
  async start(): Promise<string> {
    const { host, port, token } = checkOptions(this.#options, this.#maxPayload);
    this.#files = readPage();
    const server = http.createServer((req, res) => this.#onRequest(req, res));
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.#maxPayload,
      perMessageDeflate: false,
      clientTracking: false,
    });
    server.on('upgrade', (req, socket, head) => this.#onUpgrade(wss, req, socket, head, token));
    server.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const why =
          err.code === 'EADDRINUSE'
            ? 'is in use; choose another with --port'
            : err.code === 'EADDRNOTAVAIL'
              ? 'is not an address of this machine; check the panel host (--host or panel.host)'
              : err.code === 'EACCES'
                ? 'needs privileges; use a port above 1023'
                : `failed (${err.code ?? err.message})`;
        reject(new PanelConfigError(`panel: listening on ${host} port ${port} ${why}`));
      });
      server.listen(port, host, () => resolve());
    });
    server.on('error', (err) => this.#log.warn(`http server error: ${err.message}`));
    this.#http = server;
    this.#port = (server.address() as net.AddressInfo).port;
    const url = `http://${net.isIPv6(host) ? `[${host}]` : host}:${this.#port}/`;
    this.#log.info(`virtual front panel at ${url}${token ? ' (token required: add ?token=...)' : ''}`);
    return url;
  }

  get port(): number {
    return this.#port;
  }

  /** Open pages. */
  get clients(): number {
    return this.#sessions.size;
  }

  /** Panel-only controls (tempo by number, model, slots). A listener that throws has its message sent to the page as an error. */
  onCommand(listener: (command: PanelCommand) => void | Promise<void>): () => void {
    this.#commandListeners.add(listener);
    return () => {
      this.#commandListeners.delete(listener);
    };
  }

  /** Pushes the daemon's state to every page; the last one is kept for pages that connect later. */
  publish(snapshot: PanelSnapshot): void {
    this.#snapshot = snapshot;
    this.#snapshotText = JSON.stringify({ type: 'snapshot', snapshot } satisfies ServerMessage);
    for (const ws of this.#sessions.keys()) this.#sendText(ws, this.#snapshotText);
  }

  /**
   * Where /export.mid gets its bytes (a Standard MIDI File of the current loop).
   * The download's file name is always groovebox-loop.mid: no name travels into a header.
   */
  setExportProvider(provider: ExportProvider | null): void {
    this.#exportProvider = provider;
  }

  /**
   * A session not tied to a socket: the same message handling, with replies
   * going to `send`. The WebSocket path uses exactly this; tests use it to
   * drive the handler directly. `onUnanswered` is called when the session
   * closed itself because the page stopped answering pings.
   */
  openSession(
    send: (message: ServerMessage) => void,
    name = `page ${++this.#sessionCount}`,
    onUnanswered?: () => void,
  ): PanelSession {
    return new PanelSession(
      {
        clock: this.#clock,
        log: this.#log,
        ...this.devices,
        command: (command) => this.#runCommand(command),
      },
      send,
      name,
      onUnanswered,
    );
  }

  async close(): Promise<void> {
    for (const [ws, session] of this.#sessions) {
      session.close();
      ws.close(1001, 'the box is shutting down');
    }
    this.#sessions.clear();
    this.#refusals.close();
    const server = this.#http;
    this.#http = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const { midiIn, ...devices } = this.devices;
    midiIn.close();
    await Promise.all(Object.values(devices).map((d) => d.close()));
  }

  async #runCommand(command: PanelCommand): Promise<void> {
    if (command.command === 'model' && this.#snapshot?.models && !this.#snapshot.models.includes(command.name)) {
      throw new Error(`unknown model "${command.name}": expected one of ${this.#snapshot.models.join(', ')}`);
    }
    if (this.#commandListeners.size === 0) throw new Error('this box does not take panel commands');
    for (const listener of [...this.#commandListeners]) await listener(command);
  }

  #onUpgrade(
    wss: WebSocketServer,
    req: http.IncomingMessage,
    socket: Duplex,
    head: Buffer,
    token: string | null,
  ): void {
    socket.on('error', () => socket.destroy());
    const refuse = (status: number, kind: RefusalKind, reason: string): void => {
      this.#refused(req, { kind, reason });
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`,
      );
    };
    const url = requestUrl(req);
    if (url.pathname !== '/ws') return refuse(404, 'path', 'the panel socket is at /ws');
    const denied = deny(req, url, token, this.#port);
    if (denied) return refuse(denied.status, denied.kind, denied.reason);
    // A browser always says where the page came from: only our own page may drive the box.
    const origin = req.headers.origin;
    if (origin !== undefined && originHost(origin) !== req.headers.host?.toLowerCase())
      return refuse(403, 'origin', `origin ${echoHeader(origin)} is not this panel`);
    if (this.#sessions.size >= MAX_CLIENTS) return refuse(503, 'full', `too many panel pages open (${MAX_CLIENTS})`);
    wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, req));
  }

  #accept(ws: WebSocket, req: http.IncomingMessage): void {
    // A page that stopped answering (Wi-Fi gone, no FIN) has already let go of its keys; its socket goes too, freeing its place.
    const session = this.openSession(
      (message) => this.#sendText(ws, JSON.stringify(message)),
      `page ${++this.#sessionCount} (${req.socket.remoteAddress})`,
      () => ws.terminate(),
    );
    this.#sessions.set(ws, session);
    ws.on('message', (data, isBinary) => session.receive(data, isBinary));
    // Oversized frames arrive here (ws closes with 1009); an 'error' without a listener would throw.
    ws.on('error', (err) => this.#log.debug(`${session.name}: ${err.message}`));
    ws.on('close', () => {
      session.close();
      this.#sessions.delete(ws);
    });
    this.#sendText(
      ws,
      JSON.stringify({
        type: 'hello',
        protocol: 1,
        maxPayload: this.#maxPayload,
        buttons: BUTTON_NAMES,
      } satisfies ServerMessage),
    );
    this.#sendText(ws, JSON.stringify({ type: 'leds', leds: this.devices.grid.colors } satisfies ServerMessage));
    if (this.#snapshotText) this.#sendText(ws, this.#snapshotText);
    session.ping();
  }

  #sendText(ws: WebSocket, text: string): void {
    if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > MAX_BUFFERED_BYTES) return;
    ws.send(text);
  }

  #broadcast(message: ServerMessage): void {
    const text = JSON.stringify(message);
    for (const ws of this.#sessions.keys()) this.#sendText(ws, text);
  }

  #refused(req: http.IncomingMessage, denial: { kind: RefusalKind; reason: string }): void {
    this.#refusals.refused(denial.kind, req.socket.remoteAddress ?? '(address unknown)', denial.reason);
  }

  #onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const send = (
      status: number,
      type: string,
      body: string | Uint8Array,
      extra: Record<string, string> = {},
    ): void => {
      res.writeHead(status, {
        'Content-Type': type,
        'Content-Length': String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength),
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        // The page runs only its own script and talks only to its own server.
        'Content-Security-Policy':
          "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ...extra,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return send(405, 'text/plain', 'only GET\n', { Allow: 'GET, HEAD' });
      const url = requestUrl(req);
      const token = this.#options.token ?? null;
      if (url.pathname === '/export.mid') {
        const denied = deny(req, url, token, this.#port);
        if (denied) {
          this.#refused(req, denied);
          return send(denied.status, 'text/plain', `${denied.reason}\n`);
        }
        void this.#export(send);
        return;
      }
      const entry = STATIC_FILES[url.pathname];
      if (!entry) return send(404, 'text/plain', 'not found\n');
      // The page itself is public (it holds no state and no secret), but not to a rebound host name.
      const wrongHost = denyHost(req, token, this.#port);
      if (wrongHost) {
        this.#refused(req, wrongHost);
        return send(wrongHost.status, 'text/plain', 'not this panel\n');
      }
      send(200, entry.type, this.#files.get(entry.file)!);
    } catch (err) {
      this.#log.warn(`panel request failed: ${(err as Error).message}`);
      if (!res.headersSent) send(500, 'text/plain', 'internal error\n');
    }
  }

  async #export(
    send: (status: number, type: string, body: string | Uint8Array, extra?: Record<string, string>) => void,
  ): Promise<void> {
    if (!this.#exportProvider) return send(503, 'text/plain', 'nothing to export yet\n');
    try {
      const file = await this.#exportProvider();
      const bytes = file instanceof Uint8Array ? file : file.bytes;
      send(200, 'audio/midi', bytes, { 'Content-Disposition': 'attachment; filename="groovebox-loop.mid"' });
    } catch (err) {
      this.#log.warn(`panel: export of the loop failed (${(err as Error).message})`);
      send(500, 'text/plain', `export failed: ${(err as Error).message}\n`);
    }
  }
}
