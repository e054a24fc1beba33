import { expect } from 'chai';
import type { ButtonEvent, KeyEvent } from '../firmware-ts/devices/interfaces.js';
import { MemoryLog } from '../firmware-ts/support/log.js';
import type { ServerMessage } from '../firmware-ts/panel/protocol.js';
import { PanelServer } from '../firmware-ts/panel/server.js';
import { ANSWER_DEADLINE, RESYNC_INTERVAL } from '../firmware-ts/panel/session.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';
import { nextEvent, PanelTestClient, wsUrl } from './helpers/panel-client.js';

/** The server's limit on open pages (server.ts MAX_CLIENTS). */
const MAX_CLIENTS = 16;

/** Answers the server's first burst of pings over a 4 ms round trip, as a live page does. */
async function answerBurst(client: PanelTestClient, clock: OfflineClock): Promise<void> {
  for (let i = 0; i < 5; i++) await answerNextPing(client, clock);
}

async function answerNextPing(client: PanelTestClient, clock: OfflineClock): Promise<void> {
  const ping = await client.next('ping');
  clock.advance(0.002);
  client.send({ type: 'pong', id: ping.id, time: clock.now() * 1000 });
  clock.advance(0.002);
}

/** Frames are handled in order: once the error for this one is back, everything sent before it has been handled. */
async function handled(client: PanelTestClient, tag: string): Promise<void> {
  client.send({ type: `sentinel-${tag}` });
  while (!(await client.next('error')).error.includes(`sentinel-${tag}`));
}

/** Waits (on events, not on time) until the server has seen the socket close. */
async function serverSees(server: PanelServer, clients: number): Promise<void> {
  while (server.clients !== clients) await new Promise((resolve) => setImmediate(resolve));
}

describe('panel: a page that stops answering pings is dropped', () => {
  let clock: OfflineClock;
  let log: MemoryLog;
  let server: PanelServer;

  beforeEach(async () => {
    clock = new OfflineClock(100);
    log = new MemoryLog();
    server = new PanelServer({ port: 0, clock, log });
    await server.start();
  });
  afterEach(() => server.close());

  it('releases the SHIFT and key it held and closes its socket, ANSWER_DEADLINE after the first unanswered ping', async () => {
    const { grid, buttons } = server.devices;
    const client = await PanelTestClient.open(wsUrl(server));
    await answerBurst(client, clock);
    const down = nextEvent<[KeyEvent]>((l) => grid.onKey(l));
    client.send({ type: 'button', button: 'shift', pressed: true, time: clock.now() * 1000 });
    client.send({ type: 'key', key: 7, pressed: true, time: clock.now() * 1000 });
    await down;
    expect(buttons.isDown('shift')).to.equal(true);

    // The phone's Wi-Fi drops: no FIN, so the socket stays open, and the next ping is never answered.
    const lastAnswer = clock.now();
    clock.advance(RESYNC_INTERVAL);
    await client.next('ping');
    const released: (KeyEvent | ButtonEvent)[] = [];
    grid.onKey((e) => released.push(e));
    buttons.onButton((e) => released.push(e));
    clock.advance(ANSWER_DEADLINE - 0.01);
    expect(buttons.isDown('shift'), 'still held just before the deadline').to.equal(true);
    expect(released).to.deep.equal([]);

    clock.advance(0.02);
    expect(buttons.isDown('shift')).to.equal(false);
    expect(grid.isDown(7)).to.equal(false);
    expect(released.map(({ time: _time, ...e }) => e)).to.have.deep.members([
      { key: 7, pressed: false },
      { button: 'shift', pressed: false },
    ]);
    for (const e of released) expect(e.time).to.be.closeTo(lastAnswer + RESYNC_INTERVAL + ANSWER_DEADLINE, 1e-9);
    expect(log.count('info', `no answer to a ping for ${ANSWER_DEADLINE} s`)).to.equal(1);
    // Terminated, not closed politely: a page that is gone would never answer a close handshake.
    expect(await client.closed()).to.equal(1006);
    await serverSees(server, 0);
  });

  it('keeps a page that answers its pings, however long it stays', async () => {
    const client = await PanelTestClient.open(wsUrl(server));
    await answerBurst(client, clock);
    client.send({ type: 'button', button: 'shift', pressed: true, time: clock.now() * 1000 });
    await handled(client, 'burst'); // the resync timer starts when the burst's last answer is handled
    for (let i = 0; i < 24; i++) {
      clock.advance(RESYNC_INTERVAL);
      await answerNextPing(client, clock);
      await handled(client, String(i));
    }
    expect(clock.now() - 100).to.be.above(120);
    expect(server.devices.buttons.isDown('shift')).to.equal(true);
    expect(server.clients).to.equal(1);
    expect(client.closeCode).to.equal(null);
    await client.close();
  });

  it('drops pages that never answer their first ping, which frees their places for new pages', async () => {
    const silent = await Promise.all(Array.from({ length: MAX_CLIENTS }, () => PanelTestClient.open(wsUrl(server))));
    const refused = await PanelTestClient.open(wsUrl(server)).then(
      () => 0,
      (e: { status: number }) => e.status,
    );
    expect(refused, 'the server is full').to.equal(503);
    clock.advance(ANSWER_DEADLINE);
    for (const client of silent) expect(await client.closed()).to.equal(1006);
    await serverSees(server, 0);
    const fresh = await PanelTestClient.open(wsUrl(server));
    expect(server.clients).to.equal(1);
    await fresh.close();
  });

  it('times the deadline from the oldest ping still waiting, and leaves no timer behind', () => {
    const sent: ServerMessage[] = [];
    let unanswered = 0;
    const session = server.openSession(
      (m) => sent.push(m),
      'slow page',
      () => unanswered++,
    );
    const lastPing = (): number => (sent.filter((m) => m.type === 'ping').at(-1) as { id: number }).id;
    session.ping(); // at 100
    clock.advance(ANSWER_DEADLINE - 0.1);
    // Answered just in time; the answer sends the next ping of the burst at once.
    session.receive(JSON.stringify({ type: 'pong', id: lastPing(), time: 1 }));
    expect(lastPing()).to.equal(2);
    clock.advance(ANSWER_DEADLINE - 0.01); // past the first ping's deadline, not the second's
    expect(unanswered).to.equal(0);
    clock.advance(0.02);
    expect(unanswered).to.equal(1);
    expect(clock.pendingTimers()).to.equal(0);
    // Closed: later frames do nothing, not even an error reply.
    const before = sent.length;
    session.receive(JSON.stringify({ type: 'pong', id: 2, time: 2 }));
    expect(sent.length).to.equal(before);
  });
});
