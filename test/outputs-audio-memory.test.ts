import { expect } from 'chai';
import { NativeAudioMemory } from '../firmware-ts/outputs/audio/native-memory.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';

describe("outputs: returning the audio engine's native memory", () => {
  it('collects every interval on the injected clock until stopped', () => {
    const clock = new OfflineClock();
    let collections = 0;
    const memory = new NativeAudioMemory(
      clock,
      () => {},
      30,
      () => collections++,
    );
    memory.start();
    memory.start(); // idempotent: one schedule
    clock.advance(29.9);
    expect(collections).to.equal(0);
    clock.advance(60.2);
    expect(collections).to.equal(3);
    expect(memory.runs).to.equal(3);
    memory.stop();
    clock.advance(300);
    expect(collections).to.equal(3);
  });

  it('without an exposed gc it says so once and schedules nothing', () => {
    const clock = new OfflineClock();
    const logs: string[] = [];
    const memory = new NativeAudioMemory(clock, (m) => logs.push(m), 30, null);
    memory.start();
    expect(clock.pendingTimers()).to.equal(0);
    expect(logs).to.have.length(1);
    expect(logs[0]).to.include('--expose-gc');
  });

  it("finds V8's gc under the test runner (mocha passes --expose-gc, as npm start and the unit do)", () => {
    expect(typeof (globalThis as { gc?: unknown }).gc).to.equal('function');
  });
});
