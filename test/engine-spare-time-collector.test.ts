import { expect } from 'chai';
import { SpareTimeCollector } from '../firmware-ts/engine/spare-time-collector.js';

describe("engine: the generation worker's spare-time collections", () => {
  it('collects after a piece of work once the interval has passed, then waits a whole interval again', () => {
    let now = 100;
    let collections = 0;
    const collector = new SpareTimeCollector({ interval: 30, now: () => now, collect: () => collections++ });
    for (const t of [101, 110, 129.9]) {
      now = t;
      collector.afterWork();
    }
    expect(collections).to.equal(0);
    now = 130;
    collector.afterWork();
    expect(collections).to.equal(1);
    now = 150;
    collector.afterWork();
    expect(collections).to.equal(1);
    now = 161;
    collector.afterWork();
    expect(collections).to.equal(2);
    expect(collector.runs).to.equal(2);
  });

  it('does nothing where node does not expose gc', () => {
    let now = 0;
    const collector = new SpareTimeCollector({ interval: 30, now: () => now, collect: null });
    now = 60;
    collector.afterWork();
    expect(collector.runs).to.equal(0);
  });

  it("finds V8's gc by default under the test runner, and a real collection frees garbage", async () => {
    let now = 0;
    const collector = new SpareTimeCollector({ interval: 30, now: () => now });
    // Nothing but the WeakRef ever holds the garbage.
    const held = new WeakRef(Array.from({ length: 1000 }, (_, i) => ({ i })));
    // A WeakRef keeps its target alive until the current job ends.
    await new Promise((resolve) => setImmediate(resolve));
    now = 31;
    collector.afterWork();
    expect(collector.runs).to.equal(1);
    expect(held.deref()).to.equal(undefined);
  });
});
