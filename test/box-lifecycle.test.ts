import { expect } from 'chai';
import { exitOnSignals, SHUTDOWN_DEADLINE_MS } from '../firmware-ts/box/lifecycle.js';
import { MemoryLogs } from '../firmware-ts/support/log.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** exitOnSignals on an offline clock, with process.exit replaced by a recorder; the signal is emitted, not sent. */
function rig(shutdown: () => Promise<void>) {
  const clock = new OfflineClock(10);
  const logs = new MemoryLogs();
  const exits: number[] = [];
  const dispose = exitOnSignals({ log: logs.factory('box'), shutdown, clock, exit: (code) => exits.push(code) });
  return { clock, logs, exits, dispose };
}

describe('box: SIGTERM and SIGINT', () => {
  let dispose: (() => void) | null = null;
  afterEach(() => dispose?.());

  it('a shutdown that never ends: exits 1 at the deadline (under 1 s), with one error line, whatever comes later', async () => {
    let shutdowns = 0;
    const r = rig(() => {
      shutdowns++;
      return new Promise<void>(() => {});
    });
    dispose = r.dispose;
    // Only SIGTERM is emitted here: mocha itself may listen for SIGINT. The handler is the same.
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGTERM', 'SIGTERM'); // the same request twice: no second shutdown, no second deadline
    expect(SHUTDOWN_DEADLINE_MS).to.be.below(1000);
    r.clock.advance(SHUTDOWN_DEADLINE_MS / 1000 - 0.001);
    await flush();
    expect(r.exits).to.deep.equal([]);
    r.clock.advance(0.001);
    await flush();
    expect(r.exits).to.deep.equal([1]);
    expect(shutdowns).to.equal(1);
    expect(r.logs.count(`shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms`, 'error')).to.equal(1);
    r.clock.advance(10);
    expect(r.exits).to.deep.equal([1]);
  });

  it('a shutdown that ends in time exits 0 and cancels the deadline; one that fails exits 1 naming why', async () => {
    let finish!: () => void;
    const ok = rig(
      () =>
        new Promise<void>((resolve) => {
          finish = resolve;
        }),
    );
    dispose = ok.dispose;
    process.emit('SIGTERM', 'SIGTERM');
    ok.clock.advance(0.25);
    finish();
    await flush();
    expect(ok.exits).to.deep.equal([0]);
    expect(ok.logs.count('stopped in 250 ms', 'info')).to.equal(1);
    expect(ok.clock.pendingTimers()).to.equal(0);
    ok.dispose();

    const failing = rig(async () => {
      throw new Error('slot folder is read-only');
    });
    dispose = failing.dispose;
    process.emit('SIGTERM', 'SIGTERM');
    await flush();
    expect(failing.exits).to.deep.equal([1]);
    expect(failing.logs.count('shutdown failed: slot folder is read-only', 'error')).to.equal(1);
  });
});
