import { expect } from 'chai';
import { Listeners, throttledReport } from '../firmware-ts/support/listeners.js';
import { MemoryLog, MemoryLogs, namespacedLog, type LogSink } from '../firmware-ts/support/log.js';
import { Backoff, RestartSupervisor } from '../firmware-ts/support/supervisor.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';

describe('support: one log, one listener set, one supervisor', () => {
  describe('log', () => {
    const withDebug = <T>(value: string | undefined, run: () => T): T => {
      const before = process.env.GROOVEBOX_DEBUG;
      if (value === undefined) delete process.env.GROOVEBOX_DEBUG;
      else process.env.GROOVEBOX_DEBUG = value;
      try {
        return run();
      } finally {
        if (before === undefined) delete process.env.GROOVEBOX_DEBUG;
        else process.env.GROOVEBOX_DEBUG = before;
      }
    };
    const sink = () => {
      const out: string[] = [],
        err: string[] = [];
      const s: LogSink = { out: (l) => out.push(l), err: (l) => err.push(l) };
      return { s, out, err };
    };

    it('information to stdout, problems to stderr, one line per event, namespace first', () => {
      const { s, out, err } = sink();
      const log = namespacedLog('groovebox:i2c', s);
      log.info('bus open');
      log.warn('EIO\n  at read');
      log.error('gone');
      expect(out).to.deep.equal(['groovebox:i2c bus open\n']);
      expect(err).to.deep.equal(['groovebox:i2c EIO | at read\n', 'groovebox:i2c gone\n']);
    });

    it('debug lines only for the namespaces GROOVEBOX_DEBUG names (or "*"), and a function is not called otherwise', () => {
      const { s, err } = sink();
      const log = namespacedLog('groovebox:tap', s);
      let calls = 0;
      const line = () => {
        calls++;
        return 'tap: 0.8';
      };
      withDebug(undefined, () => log.debug(line));
      withDebug('groovebox:i2c, groovebox:midi', () => log.debug(line));
      expect(calls).to.equal(0);
      withDebug('groovebox:i2c, groovebox:tap', () => log.debug(line));
      withDebug('*', () => log.debug('all'));
      expect(calls).to.equal(1);
      expect(err).to.deep.equal(['groovebox:tap tap: 0.8\n', 'groovebox:tap all\n']);
    });

    it("the memory instruments share one store: every namespace in order, or one driver's lines by level", () => {
      const logs = new MemoryLogs(2);
      logs.factory('slots').info('saved');
      logs.factory('box').warn('late');
      logs.factory('box').error('broken');
      expect(logs.text()).to.equal('groovebox:box late\ngroovebox:box broken');
      const one = new MemoryLog();
      one.warn('EIO');
      one.debug(() => 'key 3');
      expect(one.count('warn', 'EIO')).to.equal(1);
      expect(one.lines.map((l) => l.level)).to.deep.equal(['warn', 'debug']);
    });
  });

  describe('listeners', () => {
    it('a listener that throws stops no other, nor does a reporter that throws; unsubscribing works during an emit', () => {
      const errors: unknown[] = [];
      const set = new Listeners<[number]>((error) => {
        errors.push(error);
        throw new Error('the reporter broke too');
      });
      const heard: string[] = [];
      let off = () => {};
      set.add(() => {
        throw new Error('broken output');
      });
      off = set.add((n) => {
        heard.push(`a${n}`);
        off();
      });
      set.add((n) => heard.push(`b${n}`));
      set.emit(1);
      set.emit(2);
      expect(heard).to.deep.equal(['a1', 'b1', 'b2']);
      expect(errors).to.have.length(2);
      expect(set.size).to.equal(2);
    });

    it('the throttle reports the first failure and then every 1000th, with the count so far', () => {
      const counts: number[] = [];
      const report = throttledReport((count: number, _error: unknown) => counts.push(count));
      for (let i = 0; i < 2500; i++) report(new Error('x'));
      expect(counts).to.deep.equal([1, 1000, 2000]);
    });
  });

  describe('supervisor', () => {
    it('a backoff doubles to its cap, or walks its steps and repeats the last; a success starts it over', () => {
      const doubling = new Backoff({ first: 0.1, max: 0.5 });
      expect([1, 2, 3, 4].map(() => doubling.failed())).to.deep.equal([0.1, 0.2, 0.4, 0.5]);
      doubling.succeeded();
      expect(doubling.failed()).to.equal(0.1);
      const steps = new Backoff({ steps: [0, 0.5, 2] });
      expect([1, 2, 3, 4].map(() => steps.failed())).to.deep.equal([0, 0.5, 2, 2]);
      expect(() => new Backoff({ steps: [] })).to.throw(/backoff steps: expected at least one wait, got none/);
    });

    it('restarts after each wait on the injected clock, not a moment before; gives up after N in a row; healthy() starts over', () => {
      const clock = new OfflineClock();
      const supervisor = new RestartSupervisor({ clock, backoff: { steps: [0, 0.5] }, giveUpAfter: 2 });
      let restarts = 0;
      const restart = () => {
        restarts++;
      };
      expect(supervisor.crashed(restart)).to.deep.equal({ restart: true, delay: 0 });
      clock.advance(0);
      expect(restarts).to.equal(1);
      expect(supervisor.crashed(restart)).to.deep.equal({ restart: true, delay: 0.5 });
      clock.advance(0.49);
      expect(restarts, 'not before its wait').to.equal(1);
      expect(supervisor.pending).to.equal(true);
      clock.advance(0.01);
      expect(restarts).to.equal(2);
      expect(supervisor.crashed(restart)).to.deep.equal({ restart: false, crashes: 3 });
      supervisor.healthy();
      expect(supervisor.crashed(restart)).to.deep.equal({ restart: true, delay: 0 });
      supervisor.cancel();
      clock.advance(10);
      expect(restarts, 'a cancelled restart never runs').to.equal(2);
      expect(supervisor.restarts).to.equal(2);
    });

    it('a run that lasted `healthyAfter` starts the backoff over; restartNow() runs a waiting restart at once', () => {
      const clock = new OfflineClock();
      const supervisor = new RestartSupervisor({ clock, backoff: { first: 0.1, max: 5 }, healthyAfter: 60 });
      let restarts = 0;
      const restart = () => {
        restarts++;
      };
      expect(supervisor.crashed(restart)).to.deep.equal({ restart: true, delay: 0.1 });
      clock.advance(0.1);
      expect(supervisor.crashed(restart)).to.deep.equal({ restart: true, delay: 0.2 });
      expect(supervisor.restartNow()).to.equal(true);
      expect(restarts).to.equal(2);
      expect(supervisor.restartNow(), 'nothing waits now').to.equal(false);
      clock.advance(60);
      expect(supervisor.crashed(restart)).to.deep.equal({ restart: true, delay: 0.1 });
    });
  });
});
