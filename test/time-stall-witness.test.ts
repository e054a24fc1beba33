import { expect } from 'chai';
import { GapLog, judgeStalls } from '../firmware-ts/time/stall-witness.js';

describe('time: stall witnesses', () => {
  it('records a tick gap only when the thread woke more than the threshold late', () => {
    const log = new GapLog({ thresholdMs: 5 });
    for (const t of [100, 101, 102, 107.9, 108.9, 115, 116]) log.tick(t);
    // 102 -> 107.9 is 4.9 ms late (not a stall); 108.9 -> 115 is 5.1 ms late.
    expect(log.take()).to.deep.equal([{ from: 108.9, to: 115 }]);
    expect(log.take(), 'take empties the log').to.deep.equal([]);
    log.tick(130);
    expect(log.take(), 'the gap across a take still counts').to.deep.equal([{ from: 116, to: 130 }]);
  });

  it('keeps at most `capacity` gaps a window and counts the rest', () => {
    const log = new GapLog({ thresholdMs: 1, capacity: 2 });
    for (let i = 0; i < 5; i++) log.tick(i * 10);
    expect(log.take()).to.have.length(2);
    expect(log.dropped).to.equal(2);
  });

  it('sorts each stall by what overlapped it: own GC, the idle thread, both or neither', () => {
    const stalls = [
      { from: 0, to: 6 }, // GC 2..4 inside it
      { from: 100, to: 108 }, // idle thread held 105..110
      { from: 200, to: 207 }, // both
      { from: 300, to: 312 }, // nothing near
      { from: 400, to: 406 }, // idle gap ends exactly where it starts: no overlap
    ];
    const gc = [{ from: 2, to: 4 }, { from: 203, to: 204 }, { from: 500, to: 520 }];
    const idle = [{ from: 105, to: 110 }, { from: 199, to: 201 }, { from: 397, to: 400 }];
    const verdict = judgeStalls(stalls, gc, idle);
    expect(verdict).to.deep.equal({
      stalls: 5, gc: 1, machine: 1, both: 1, unexplained: 2,
      longestMs: { gc: 6, machine: 8, both: 7, unexplained: 12 },
    });
  });
});
