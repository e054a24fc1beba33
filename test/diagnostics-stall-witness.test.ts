import { expect } from 'chai';
import { IdleThread } from '../firmware-ts/diagnostics/idle-thread.js';
import { hrNowMs } from '../firmware-ts/time/thread-clock.js';
import { GapLog, judgeStalls, StallJury, type Witnessed } from '../firmware-ts/diagnostics/stall-witness.js';

describe('diagnostics: stall witnesses', () => {
  it('records a tick gap only when the thread woke more than the threshold late', () => {
    const log = new GapLog({ thresholdMs: 5 });
    for (const t of [100, 101, 102, 107.9, 108.9, 115, 116]) log.tick(t);
    // 102 -> 107.9 is 4.9 ms late (not a stall); 108.9 -> 115 is 5.1 ms late.
    expect(log.take()).to.deep.equal({ gaps: [{ from: 108.9, to: 115 }], dropped: 0 });
    expect(log.take().gaps, 'take empties the log').to.deep.equal([]);
    log.tick(130);
    expect(log.take().gaps, 'the gap across a take still counts').to.deep.equal([{ from: 116, to: 130 }]);
  });

  it('keeps at most `capacity` gaps a window and counts the rest, per window', () => {
    const log = new GapLog({ thresholdMs: 1, capacity: 2 });
    for (let i = 0; i < 5; i++) log.tick(i * 10);
    expect(log.take()).to.deep.include({ dropped: 2 }).and.to.have.property('gaps').with.length(2);
    log.tick(60);
    expect(log.take().dropped).to.equal(0);
  });

  it('files a stall under a witness only when it covers half its lateness or more', () => {
    const stalls = [
      { from: 0, to: 9 }, // 8 ms late; GC 1..5 covers 4
      { from: 100, to: 109 }, // idle thread held 104..112: covers 5
      { from: 200, to: 209 }, // both
      { from: 300, to: 320 }, // 19 ms late; a 3 ms GC and a 2 ms idle gap inside: neither
      { from: 400, to: 407 }, // idle gap ends where it starts: no overlap
      { from: 500, to: 510 }, // the idle thread was held, but by its own GC: not the machine
    ];
    const gc = [
      { from: 1, to: 5 },
      { from: 201, to: 206 },
      { from: 305, to: 308 },
    ];
    const idle = [
      { from: 104, to: 112 },
      { from: 199, to: 210 },
      { from: 310, to: 312 },
      { from: 397, to: 400 },
      { from: 500, to: 510 },
    ];
    const idleGc = [{ from: 500.5, to: 509 }];
    const verdict = judgeStalls(stalls, gc, idle, idleGc);
    expect(verdict).to.deep.include({ stalls: 6, gc: 1, machine: 1, both: 1, unexplained: 3 });
    expect(verdict.longestMs).to.deep.equal({ gc: 9, machine: 9, both: 9, unexplained: 20 });
    expect(verdict.worst[0]).to.deep.equal({ from: 300, ms: 20, kind: 'unexplained', gcMs: 3, idleMs: 2 });
    expect(verdict.worst).to.have.length(5);
  });

  it('judges a window against its neighbours: a witness reported a window late still counts', () => {
    const w = (gaps: { from: number; to: number }[], gcPauses: { from: number; to: number }[] = []): Witnessed => ({
      gaps,
      gcPauses: gcPauses.map((p) => ({ ...p, kind: 'major' as const })),
      dropped: 0,
    });
    const jury = new StallJury();
    jury.add(w([{ from: 50, to: 60 }]), w([]));
    // The stall at 50..60 is seen by the idle thread only in the next window's report.
    jury.add(w([{ from: 150, to: 160 }]), w([{ from: 49, to: 61 }]));
    jury.add(w([]), w([]));
    // The stall at 150's GC pause came in two windows late: too far, it stays unexplained.
    // And one the idle thread reported a window early (its take came after the hold, the timing thread's before).
    jury.add(
      w(
        [{ from: 350, to: 360 }],
        [
          { from: 150, to: 160 },
          { from: 351, to: 359 },
        ],
      ),
      w([{ from: 449, to: 461 }]),
    );
    jury.add(w([{ from: 450, to: 460 }]), w([]));
    const verdict = jury.finish();
    expect(verdict).to.deep.include({ stalls: 4, machine: 2, gc: 1, unexplained: 1, both: 0, dropped: 0 });
  });

  it('an idle thread reports when it was held, on the process-wide clock, and stops cleanly', async function () {
    const idle = IdleThread.start({ realtime: false, thresholdMs: 0 });
    // Asked after `from`: every gap a later take reports ended after it.
    const from = hrNowMs();
    await idle.take();
    // Threshold 0: any tick of its 1 ms timer that is at all late is a gap, so some are sure to come; takes until one has.
    const gaps: Witnessed['gaps'] = [];
    while (gaps.length === 0) gaps.push(...(await idle.take()).gaps);
    const to = hrNowMs();
    for (const gap of gaps) {
      expect(gap.to).to.be.greaterThan(gap.from);
      expect(gap.to, "on this thread's hrtime").to.be.within(from, to);
    }
    await idle.stop();
    let error: unknown = null;
    await idle.take().catch((e) => (error = e));
    expect(String(error)).to.match(/stopped/);
  });
});
