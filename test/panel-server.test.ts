import { expect } from 'chai';
import http from 'node:http';
import net from 'node:net';
import type { ButtonEvent, KeyEvent, Rgb, TapHit } from '../firmware-ts/devices/interfaces.js';
import { MemoryLog } from '../firmware-ts/support/log.js';
import { emptyGestureState } from '../firmware-ts/controls/state.js';
import { PageClockSync, MAX_EVENT_AGE } from '../firmware-ts/panel/clock-sync.js';
import type { PanelCommand, PanelSnapshot } from '../firmware-ts/panel/protocol.js';
import { MAX_ECHOED_CHARS, REFUSAL_SUMMARY_INTERVAL } from '../firmware-ts/panel/refusal-log.js';
import { isLoopbackAddress } from '../firmware-ts/panel/bind-rules.js';
import { PanelConfigError, PanelServer, tokenMatches } from '../firmware-ts/panel/server.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';
import { nextEvent, PanelTestClient, wsUrl } from './helpers/panel-client.js';

/** The test page's clock reads daemon time minus this (pages count from their own load). */
const PAGE_BEHIND = 98;
const TOKEN = '0123456789abcdef0123';

/** Answers the server's burst of pings as a page whose clock is PAGE_BEHIND seconds behind, over a 4 ms round trip. */
async function syncAsPage(client: PanelTestClient, clock: OfflineClock): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const ping = await client.next('ping');
    clock.advance(0.002);
    const pageMs = (clock.now() - PAGE_BEHIND) * 1000;
    clock.advance(0.002);
    client.send({ type: 'pong', id: ping.id, time: pageMs });
  }
}

const pageMs = (daemonTime: number): number => (daemonTime - PAGE_BEHIND) * 1000;

function snapshot(overrides: Partial<PanelSnapshot> = {}): PanelSnapshot {
  return {
    leds: Array.from({ length: 16 }, (_, k) => ({ r: k, g: 0, b: 255 - k })),
    playhead: 3,
    playing: true,
    bpm: 118,
    page: 0,
    mode: 'score',
    drum: 1,
    barsLinked: true,
    gestures: emptyGestureState(),
    pattern: {
      notes: [
        [0, 0, 0.9, 0],
        [4, 1, 0.7, 0.25],
      ],
    },
    reconstructions: null,
    model: 'ag11',
    models: ['ag11', 'ag2', 'baseline'],
    generations: 0,
    status: ['ready'],
    ...overrides,
  };
}

function request(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('panel: the virtual devices over a WebSocket', () => {
  let clock: OfflineClock;
  let server: PanelServer;
  let log: MemoryLog;

  beforeEach(async () => {
    clock = new OfflineClock(100);
    log = new MemoryLog();
    server = new PanelServer({ port: 0, clock, log });
    await server.start();
  });
  afterEach(() => server.close());

  it('maps key, tap, button and knob events onto the daemon clock with the offset learnt from pings', async () => {
    const client = await PanelTestClient.open(wsUrl(server));
    await syncAsPage(client, clock);
    const { grid, tapPad, buttons, tempo } = server.devices;

    clock.advanceTo(101);
    let got: unknown = nextEvent<[KeyEvent]>((l) => grid.onKey(l));
    client.send({ type: 'key', key: 5, pressed: true, time: pageMs(100.8) });
    const [key] = (await got) as [KeyEvent];
    expect(key.key).to.equal(5);
    expect(key.pressed).to.equal(true);
    expect(key.time).to.be.closeTo(100.8, 1e-9);

    got = nextEvent<[TapHit]>((l) => tapPad.onHit(l));
    client.send({ type: 'tap', velocity: 0.6, time: pageMs(100.9) });
    const [hit] = (await got) as [TapHit];
    expect(hit.velocity).to.equal(0.6);
    expect(hit.time).to.be.closeTo(100.9, 1e-9);

    got = nextEvent<[ButtonEvent]>((l) => buttons.onButton(l));
    client.send({ type: 'button', button: 'shift', pressed: true, time: pageMs(100.95) });
    const [button] = (await got) as [ButtonEvent];
    expect(button).to.deep.include({ button: 'shift', pressed: true });
    expect(button.time).to.be.closeTo(100.95, 1e-9);
    expect(buttons.isDown('shift')).to.equal(true);

    got = nextEvent<[number, number]>((l) => tempo.onTurn(l));
    client.send({ type: 'turn', detents: -3, time: pageMs(100.99) });
    const [detents, turnTime] = (await got) as [number, number];
    expect(detents).to.equal(-3);
    expect(turnTime).to.be.closeTo(100.99, 1e-9);
    await client.close();
  });

  it('keeps page times between the arrival and MAX_EVENT_AGE before it; before any ping answer, events take their arrival time', async () => {
    // Opened late rather than left unanswered for 100 s: a page that leaves a ping unanswered that long is dropped (panel-liveness.test.ts).
    clock.advanceTo(200);
    const unsynced = await PanelTestClient.open(wsUrl(server));
    let got = nextEvent<[TapHit]>((l) => server.devices.tapPad.onHit(l));
    unsynced.send({ type: 'tap', velocity: 1, time: 5 });
    expect((await got)[0].time).to.equal(200);

    const synced = await PanelTestClient.open(wsUrl(server));
    await syncAsPage(synced, clock);
    const arrival = clock.now();
    got = nextEvent<[TapHit]>((l) => server.devices.tapPad.onHit(l));
    synced.send({ type: 'tap', velocity: 1, time: pageMs(arrival + 3) }); // "from the future"
    expect((await got)[0].time).to.equal(arrival);
    got = nextEvent<[TapHit]>((l) => server.devices.tapPad.onHit(l));
    synced.send({ type: 'tap', velocity: 1, time: pageMs(arrival - 10) }); // stuck somewhere for 10 s
    expect((await got)[0].time).to.be.closeTo(arrival - MAX_EVENT_AGE, 1e-9);
    await unsynced.close();
    await synced.close();
  });

  it('never delivers press-press: a key already down from another page is not pressed again', async () => {
    const a = await PanelTestClient.open(wsUrl(server));
    const b = await PanelTestClient.open(wsUrl(server));
    const events: KeyEvent[] = [];
    server.devices.grid.onKey((e) => events.push(e));
    a.send({ type: 'key', key: 2, pressed: true, time: 1 });
    b.send({ type: 'key', key: 2, pressed: true, time: 1 });
    const released = nextEvent<[KeyEvent]>((l) =>
      server.devices.grid.onKey((e) => {
        if (!e.pressed) l(e);
      }),
    );
    b.send({ type: 'key', key: 2, pressed: false, time: 2 });
    await released;
    expect(events.map((e) => e.pressed)).to.deep.equal([true, false]);
    await a.close();
    await b.close();
  });

  it('releases what a page held when it goes away (a closed tab must not leave SHIFT down)', async () => {
    const client = await PanelTestClient.open(wsUrl(server));
    const down = nextEvent<[KeyEvent]>((l) => server.devices.grid.onKey(l));
    client.send({ type: 'button', button: 'shift', pressed: true, time: 1 });
    client.send({ type: 'key', key: 7, pressed: true, time: 1 });
    await down;
    expect(server.devices.buttons.isDown('shift')).to.equal(true);
    const keyUp = nextEvent<[KeyEvent]>((l) => server.devices.grid.onKey(l));
    const shiftUp = nextEvent<[ButtonEvent]>((l) => server.devices.buttons.onButton(l));
    // Within the ping deadline, so it is the close that lets go.
    clock.advanceTo(105);
    client.ws.terminate();
    const [[key], [button]] = await Promise.all([keyUp, shiftUp]);
    expect(key).to.deep.equal({ key: 7, pressed: false, time: 105 });
    expect(button).to.deep.equal({ button: 'shift', pressed: false, time: 105 });
    expect(server.devices.buttons.isDown('shift')).to.equal(false);
  });

  it('publish reaches every page; a page that connects later gets the last snapshot; grid.show sends LED frames, skipping repeats', async () => {
    const early = await PanelTestClient.open(wsUrl(server));
    const first = snapshot();
    server.publish(first);
    expect((await early.next('snapshot')).snapshot).to.deep.equal(first);

    const late = await PanelTestClient.open(wsUrl(server));
    expect((await late.next('snapshot')).snapshot).to.deep.equal(first);

    const red: Rgb[] = Array.from({ length: 16 }, () => ({ r: 255, g: 0, b: 0 }));
    const blue: Rgb[] = Array.from({ length: 16 }, () => ({ r: 0, g: 0, b: 255 }));
    await late.next('leds'); // the frame every page gets on connect
    await server.devices.grid.show(red);
    await server.devices.grid.show(red);
    await server.devices.grid.show(blue);
    expect((await late.next('leds')).leds).to.deep.equal(red);
    // The second red frame was never sent: the next frame is blue.
    expect((await late.next('leds')).leds).to.deep.equal(blue);
    await server.devices.grid.show(red.slice(1)).then(
      () => expect.fail('15 colours were accepted'),
      (err: Error) => expect(err.message).to.match(/expected 16 colours, got 15/),
    );
    await early.close();
    await late.close();
  });

  it('answers bad messages with one error line each and keeps the socket open', async () => {
    const client = await PanelTestClient.open(wsUrl(server));
    const cases: [unknown, RegExp][] = [
      ['{not json', /not JSON/],
      [[1, 2], /expected an object/],
      [{ type: 'dance' }, /type: expected key, tap, button/],
      [{ type: 'key', key: 16, pressed: true, time: 1 }, /key: expected an integer 0\.\.15, got 16/],
      [{ type: 'key', key: 1.5, pressed: true, time: 1 }, /key: expected an integer/],
      [{ type: 'key', key: 1, pressed: 'yes', time: 1 }, /pressed: expected true or false/],
      [{ type: 'tap', velocity: 1.01, time: 1 }, /velocity: expected a number 0\.\.1/],
      [{ type: 'tap', velocity: 0.5, time: -1 }, /time: expected/],
      ['{"type":"tap","velocity":0.5,"time":1e999}', /time: expected .*Infinity/],
      [{ type: 'tap', velocity: 0.5 }, /time: expected .*got nothing/],
      [{ type: 'tap', velocity: 0.5, time: 1, extra: 1 }, /unexpected field "extra"/],
      ['{"type":"tap","velocity":0.5,"time":1,"__proto__":{"x":1}}', /unexpected field "__proto__"/],
      [{ type: 'button', button: 'eject', pressed: true, time: 1 }, /button: expected one of play, rec/],
      [{ type: 'turn', detents: 0, time: 1 }, /non-zero/],
      [{ type: 'pong', id: 999, time: 1 }, /no ping 999/],
      [
        { type: 'command', command: 'rm -rf' },
        /command: expected tempo, model, save, load, mute, midi-learn, take-drum, midi-input or microphone/,
      ],
      [{ type: 'command', command: 'save', slot: 16 }, /slot: expected an integer 0\.\.15/],
      [{ type: 'command', command: 'model', name: '../../etc/passwd' }, /name: expected a model name/],
      [{ type: 'command', command: 'tempo', bpm: 1000 }, /bpm: expected a number 40\.\.240/],
    ];
    for (const [message, expected] of cases) {
      client.send(message);
      const reply = await client.next('error');
      expect(reply.error, JSON.stringify(message)).to.match(expected);
      expect(reply.error).not.to.include('\n');
    }
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await client.next('error')).error).to.match(/binary frames are not accepted/);
    // Still a working device after all that.
    const got = nextEvent<[KeyEvent]>((l) => server.devices.grid.onKey(l));
    client.send({ type: 'key', key: 0, pressed: true, time: 1 });
    expect((await got)[0].key).to.equal(0);
    expect(log.count('warn')).to.equal(1); // the first bad message is logged; the rest at debug level
    await client.close();
  });

  it('closes a socket that sends more than maxPayload (1009) and keeps serving others', async () => {
    const client = await PanelTestClient.open(wsUrl(server));
    client.send(JSON.stringify({ type: 'tap', velocity: 0.5, time: 1, pad: 'x'.repeat(5000) }));
    expect(await client.closed()).to.equal(1009);
    const other = await PanelTestClient.open(wsUrl(server));
    const got = nextEvent<[TapHit]>((l) => server.devices.tapPad.onHit(l));
    other.send({ type: 'tap', velocity: 0.25, time: 1 });
    expect((await got)[0].velocity).to.equal(0.25);
    await other.close();
  });

  it('passes commands to the daemon and sends its refusals back to the page', async () => {
    const commands: PanelCommand[] = [];
    let heard = (): void => {};
    server.onCommand(async (command) => {
      commands.push(command);
      heard();
      if (command.command === 'load') throw new Error(`slot ${command.slot + 1} is empty`);
    });
    server.publish(snapshot());
    const client = await PanelTestClient.open(wsUrl(server));
    const tempoHeard = new Promise<void>((resolve) => {
      heard = resolve;
    });
    client.send({ type: 'command', command: 'tempo', bpm: 128.5 });
    // One command at a time per page: the next is sent once this one is done, as a performer's clicks are.
    await tempoHeard;
    client.send({ type: 'command', command: 'load', slot: 2 });
    expect((await client.next('error')).error).to.equal('load: slot 3 is empty');
    client.send({ type: 'command', command: 'model', name: 'ag99' });
    expect((await client.next('error')).error).to.match(/unknown model "ag99": expected one of ag11, ag2, baseline/);
    expect(commands).to.deep.equal([
      { command: 'tempo', bpm: 128.5 },
      { command: 'load', slot: 2 },
    ]);
    await client.close();
  });

  it('runs one slow command at a time per page: the latest one sent meanwhile runs next, an earlier waiting one is replaced, tempo never waits', async () => {
    const commands: PanelCommand[] = [];
    let heard = (): void => {};
    const nextHeard = (): Promise<void> =>
      new Promise((resolve) => {
        heard = resolve;
      });
    let finishSave = (): void => {};
    server.onCommand((command) => {
      commands.push(command);
      heard();
      if (command.command === 'load') throw new Error(`slot ${command.slot + 1} is empty`);
      // A save that takes its time (a slow SD card).
      return command.command === 'save'
        ? new Promise<void>((resolve) => {
            finishSave = resolve;
          })
        : undefined;
    });
    const page = await PanelTestClient.open(wsUrl(server));
    const other = await PanelTestClient.open(wsUrl(server));
    let got = nextHeard();
    page.send({ type: 'command', command: 'save', slot: 2 });
    await got;
    page.send({ type: 'command', command: 'load', slot: 5 });
    page.send({ type: 'command', command: 'load', slot: 6 });
    expect((await page.next('error')).error).to.equal('load slot 6 replaced by load slot 7 before it ran');
    // Tempo does not wait for the save, on this page or another.
    got = nextHeard();
    page.send({ type: 'command', command: 'tempo', bpm: 110 });
    await got;
    got = nextHeard();
    other.send({ type: 'command', command: 'tempo', bpm: 100 });
    await got;
    // The save is done: the waiting load runs (and fails cleanly, which frees the page).
    got = nextHeard();
    finishSave();
    await got;
    expect((await page.next('error')).error).to.equal('load: slot 7 is empty');
    got = nextHeard();
    page.send({ type: 'command', command: 'tempo', bpm: 120 });
    await got;
    expect(commands).to.deep.equal([
      { command: 'save', slot: 2 },
      { command: 'tempo', bpm: 110 },
      { command: 'tempo', bpm: 100 },
      { command: 'load', slot: 6 },
      { command: 'tempo', bpm: 120 },
    ]);
    expect(page.received.filter((m) => m.type === 'error')).to.have.length(2);
    await page.close();
    await other.close();
  });

  it('serves only its fixed routes, with a content security policy', async () => {
    const page = await request(server.port, '/');
    expect(page.status).to.equal(200);
    expect(page.headers['content-type']).to.match(/text\/html/);
    expect(page.headers['content-security-policy']).to.include("script-src 'self'");
    expect(String(page.body)).to.include('panel.js');
    expect((await request(server.port, '/panel.js')).status).to.equal(200);
    expect((await request(server.port, '/panel.css')).status).to.equal(200);
    const worklet = await request(server.port, '/mic-worklet.js');
    expect(worklet.status).to.equal(200);
    expect(String(worklet.body)).to.match(/registerProcessor\(["']groovebox-microphone["']/);
    for (const path of [
      '/../../package.json',
      '/%2e%2e/%2e%2e/package.json',
      '/page/panel.js',
      '/server.js',
      '/etc/passwd',
    ]) {
      expect((await request(server.port, path)).status, path).to.equal(404);
    }
    expect((await request(server.port, '/', {}, 'POST')).status).to.equal(405);
  });

  it('/export.mid asks the daemon for bytes', async () => {
    expect((await request(server.port, '/export.mid')).status).to.equal(503);
    server.setExportProvider(() => new Uint8Array([0x4d, 0x54, 0x68, 0x64]));
    const res = await request(server.port, '/export.mid');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.equal('audio/midi');
    expect(res.headers['content-disposition']).to.include('groovebox-loop.mid');
    expect([...res.body]).to.deep.equal([0x4d, 0x54, 0x68, 0x64]);
    // The box's midiFile() shape: its bytes, never its name in a header.
    server.setExportProvider(() => ({ filename: 'x"\r\nSet-Cookie: a=b.mid', bytes: new Uint8Array([7]) }));
    const boxShaped = await request(server.port, '/export.mid');
    expect([...boxShaped.body]).to.deep.equal([7]);
    expect(boxShaped.headers['set-cookie']).to.equal(undefined);
    server.setExportProvider(() => {
      throw new Error('no loop yet');
    });
    const failed = await request(server.port, '/export.mid');
    expect(failed.status).to.equal(500);
    expect(String(failed.body)).to.equal('export failed: no loop yet\n');
  });

  it('refuses a host name that is not its own (DNS rebinding) and a page from another origin', async () => {
    expect((await request(server.port, '/', { Host: `evil.example:${server.port}` })).status).to.equal(403);
    const rebound = await PanelTestClient.open(wsUrl(server), {
      headers: { Host: `evil.example:${server.port}` },
    }).then(
      () => 0,
      (e: { status: number }) => e.status,
    );
    expect(rebound).to.equal(403);
    const foreign = await PanelTestClient.open(wsUrl(server), { headers: { Origin: 'http://evil.example' } }).then(
      () => 0,
      (e: { status: number }) => e.status,
    );
    expect(foreign).to.equal(403);
    const own = await PanelTestClient.open(wsUrl(server), { headers: { Origin: `http://127.0.0.1:${server.port}` } });
    await own.close();
  });

  it(`echoes at most ${MAX_ECHOED_CHARS} characters of a refused Host or Origin, in the log and in the reply`, async () => {
    const upgrade = (headers: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = net.connect(server.port, '127.0.0.1', () =>
          socket.end(`GET /ws HTTP/1.1\r\n${headers}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`),
        );
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('end', () => resolve(String(Buffer.concat(chunks))));
        socket.on('error', reject);
      });
    const longHost = `${'h'.repeat(15000)}.example:${server.port}`;
    const hostReply = await upgrade(`Host: ${longHost}\r\n`);
    expect(hostReply).to.match(/^HTTP\/1\.1 403 /);
    const longOrigin = `http://${'o'.repeat(15000)}.example`;
    const originReply = await upgrade(`Host: 127.0.0.1:${server.port}\r\nOrigin: ${longOrigin}\r\n`);
    expect(originReply).to.match(/^HTTP\/1\.1 403 /);
    for (const [reply, value] of [
      [hostReply, longHost],
      [originReply, longOrigin],
    ]) {
      const body = reply.slice(reply.indexOf('\r\n\r\n') + 4);
      expect(body).to.include(`${value.slice(0, MAX_ECHOED_CHARS)}... (${value.length} characters)`);
      expect(body.length).to.be.below(200);
    }
    const lines = log.lines.filter((l) => l.message.startsWith('refused')).map((l) => l.message);
    expect(lines).to.have.length(2);
    for (const line of lines) expect(line.length).to.be.below(300);
    expect(lines[0]).to.include(
      `host ${longHost.slice(0, MAX_ECHOED_CHARS)}... (${longHost.length} characters) is not this panel`,
    );
    expect(lines[1]).to.include(
      `origin ${longOrigin.slice(0, MAX_ECHOED_CHARS)}... (${longOrigin.length} characters) is not this panel`,
    );
  });
});

describe('panel: host and token rules', () => {
  const clock = new OfflineClock();

  it('refuses a LAN bind without a token at start, in one line', async () => {
    const server = new PanelServer({ host: '0.0.0.0', port: 0, clock });
    const err = await server.start().then(
      () => null,
      (e: Error) => e,
    );
    expect(err).to.be.instanceOf(PanelConfigError);
    expect(err!.message).to.match(
      /panel host 0\.0\.0\.0 opens the panel to the network: give a token too \(--token or panel\.token/,
    );
    expect(err!.message).not.to.include('\n');
    await server.close();
  });

  it('refuses a short token and names the length', async () => {
    const server = new PanelServer({ host: '0.0.0.0', port: 0, token: 'secret', clock });
    const err = await server.start().then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).to.match(/panel token \(--token or panel\.token\): expected at least 16 characters \(got 6\)/);
    await server.close();
  });

  it('says which port is taken, in one line', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as net.AddressInfo).port;
    const server = new PanelServer({ port, clock });
    const err = await server.start().then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).to.equal(`panel: listening on 127.0.0.1 port ${port} is in use; choose another with --port`);
    await server.close();
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  });

  it('with a token: the socket and the download need it, compared whole', async () => {
    const server = new PanelServer({ host: '127.0.0.1', port: 0, token: TOKEN, clock });
    await server.start();
    server.setExportProvider(() => new Uint8Array([1]));
    const status = (query: string): Promise<number> =>
      PanelTestClient.open(wsUrl(server, query)).then(
        async (c) => {
          await c.close();
          return 101;
        },
        (e: { status: number }) => e.status,
      );
    expect(await status('')).to.equal(401);
    expect(await status('?token=wrong')).to.equal(401);
    expect(await status(`?token=${TOKEN.slice(0, -1)}`)).to.equal(401);
    expect(await status(`?token=${TOKEN}x`)).to.equal(401);
    expect(await status(`?token=${TOKEN}`)).to.equal(101);
    expect((await request(server.port, '/export.mid')).status).to.equal(401);
    expect((await request(server.port, `/export.mid?token=${TOKEN}`)).status).to.equal(200);
    await server.close();
  });

  it('logs the first refused connection of each kind, then counts the rest and sums them up once a minute', async () => {
    const clock = new OfflineClock(0);
    const log = new MemoryLog();
    const server = new PanelServer({ host: '127.0.0.1', port: 0, token: TOKEN, clock, log });
    await server.start();
    const status = (query: string, headers: Record<string, string> = {}): Promise<number> =>
      PanelTestClient.open(wsUrl(server, query), { headers }).then(
        async (c) => {
          await c.close();
          return 101;
        },
        (e: { status: number }) => e.status,
      );
    const refusals = (): string[] => log.lines.filter((l) => l.message.startsWith('refused')).map((l) => l.message);

    // A phone retrying with a stale token, for a while.
    for (let i = 0; i < 150; i++) expect(await status('?token=stale')).to.equal(401);
    expect(await status(`?token=${TOKEN}&x=1`, { Origin: 'http://evil.example' })).to.equal(403);
    expect(await status(`?token=${TOKEN}`, { Origin: 'http://evil.example' })).to.equal(403);
    expect(refusals()).to.deep.equal([
      `refused a panel connection from 127.0.0.1: wrong or missing token (more of these are counted, summed up every ${REFUSAL_SUMMARY_INTERVAL} s)`,
      `refused a panel connection from 127.0.0.1: origin http://evil.example is not this panel (more of these are counted, summed up every ${REFUSAL_SUMMARY_INTERVAL} s)`,
    ]);
    clock.advance(REFUSAL_SUMMARY_INTERVAL);
    expect(refusals()[2]).to.equal(
      'refused 150 more panel connections in the last 60 s: 149 wrong or missing token (from 127.0.0.1); 1 origin not this panel (from 127.0.0.1)',
    );

    // Still at it in the next minute: counted and summed up again, no line per attempt.
    for (let i = 0; i < 3; i++) await status('?token=stale');
    clock.advance(REFUSAL_SUMMARY_INTERVAL - 1);
    expect(refusals()).to.have.length(3);
    clock.advance(1);
    expect(refusals()[3]).to.equal(
      'refused 3 more panel connections in the last 60 s: 3 wrong or missing token (from 127.0.0.1)',
    );

    // A quiet minute ends the counting: the next refusal has its own line again.
    clock.advance(REFUSAL_SUMMARY_INTERVAL);
    expect(refusals()).to.have.length(4);
    await status('');
    expect(refusals()[4]).to.match(/^refused a panel connection from 127\.0\.0\.1: wrong or missing token/);
    // Closing sums up what is still counted and leaves no timer running.
    await status('');
    await server.close();
    expect(refusals()[5]).to.equal(
      'refused 1 more panel connection in the last 0 s: 1 wrong or missing token (from 127.0.0.1)',
    );
    expect(clock.pendingTimers()).to.equal(0);
  });

  it('logs refused downloads and pages like refused sockets, and a failed export', async () => {
    const log = new MemoryLog();
    const withToken = new PanelServer({ host: '127.0.0.1', port: 0, token: TOKEN, clock: new OfflineClock(0), log });
    await withToken.start();
    withToken.setExportProvider(() => {
      throw new Error('no loop yet');
    });
    expect((await request(withToken.port, '/export.mid?token=stale')).status).to.equal(401);
    expect((await request(withToken.port, `/export.mid?token=${TOKEN}`)).status).to.equal(500);
    await withToken.close();
    const loopback = new PanelServer({ host: '127.0.0.1', port: 0, clock: new OfflineClock(0), log });
    await loopback.start();
    expect((await request(loopback.port, '/', { Host: 'evil.example' })).status).to.equal(403);
    expect((await request(loopback.port, '/export.mid', { Host: 'evil.example' })).status).to.equal(403);
    await loopback.close();
    expect(log.lines.map((l) => l.message).filter((m) => !m.startsWith('virtual front panel at'))).to.deep.equal([
      `refused a panel connection from 127.0.0.1: wrong or missing token (more of these are counted, summed up every ${REFUSAL_SUMMARY_INTERVAL} s)`,
      'panel: export of the loop failed (no loop yet)',
      `refused a panel connection from 127.0.0.1: host evil.example is not this panel (more of these are counted, summed up every ${REFUSAL_SUMMARY_INTERVAL} s)`,
      'refused 1 more panel connection in the last 0 s: 1 host not this panel (from 127.0.0.1)',
    ]);
  });

  it('tokenMatches and isLoopbackAddress', () => {
    expect(tokenMatches(TOKEN, TOKEN)).to.equal(true);
    expect(tokenMatches(null, TOKEN)).to.equal(false);
    expect(tokenMatches('', TOKEN)).to.equal(false);
    expect(tokenMatches(TOKEN.toUpperCase(), TOKEN)).to.equal(false);
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].map(isLoopbackAddress)).to.deep.equal([
      true,
      true,
      true,
      true,
    ]);
    expect(['0.0.0.0', '192.168.1.20', '::', 'example.com'].map(isLoopbackAddress)).to.deep.equal([
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('panel: page clock estimate', () => {
  it('takes the offset from the exchange with the shortest round trip', () => {
    const sync = new PageClockSync();
    expect(sync.estimate()).to.equal(null);
    sync.add({ sent: 10, received: 10.1, pageMs: 1000 }); // slow: offset 9.05 +- 0.05
    sync.add({ sent: 11, received: 11.002, pageMs: 2001 }); // fast: offset 9.0 +- 0.001
    sync.add({ sent: 12, received: 12.05, pageMs: 3000 });
    const e = sync.estimate()!;
    expect(e.offset).to.be.closeTo(9.0, 1e-9);
    expect(e.error).to.be.closeTo(0.001, 1e-9);
    expect(sync.toDaemonTime(3500, 12.6)).to.be.closeTo(12.5, 1e-9);
  });
});
