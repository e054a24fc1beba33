import { expect } from 'chai';
import { RetryBackoff } from '../firmware-ts/devices/i2c/backoff.js';
import { MemoryLog } from '../firmware-ts/support/log.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';

const eio = Object.assign(new Error('EIO: remote I/O'), { code: 'EIO' });

describe('devices: I2C retry backoff', () => {
  it('intermittent errors (1% of 860 reads/s for 10 s): one warning, then one summary after a clean spell', () => {
    const clock = new OfflineClock();
    const log = new MemoryLog();
    const backoff = new RetryBackoff('ADS1115 @0x48', log, clock, { quietTime: 5 });
    let errors = 0;
    for (let i = 0; i < 8600; i++) {
      clock.advance(1 / 860);
      if (i % 100 === 50) {
        backoff.failed(eio);
        errors++;
      } else backoff.succeeded();
      expect(backoff.failing, 'a single glitch is not an outage').to.equal(false);
    }
    expect(log.lines.map((l) => l.level)).to.deep.equal(['warn']);
    for (let i = 0; i < 5 * 860; i++) {
      clock.advance(1 / 860);
      backoff.succeeded();
    }
    expect(log.lines).to.have.length(2);
    expect(log.lines[1].level).to.equal('info');
    expect(log.lines[1].message).to.equal(
      `ADS1115 @0x48: running cleanly again; ${errors} bus error(s) since the warning (the last: EIO)`,
    );
    // The next glitch is news again.
    backoff.failed(eio);
    expect(log.count('warn')).to.equal(2);
  });

  it('doubles the wait up to the maximum and calls a run of failures an outage', () => {
    const clock = new OfflineClock();
    const backoff = new RetryBackoff('grid', new MemoryLog(), clock, { first: 0.01, max: 0.05 });
    expect([1, 2, 3, 4, 5].map(() => backoff.failed(eio))).to.deep.equal([0.01, 0.02, 0.04, 0.05, 0.05]);
    expect(backoff.failing).to.equal(true);
    expect(backoff.lastError).to.equal('EIO');
    backoff.succeeded();
    expect(backoff.failing).to.equal(false);
    expect(backoff.failed(eio)).to.equal(0.01);
  });
});
