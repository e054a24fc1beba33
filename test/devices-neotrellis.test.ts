import { expect } from 'chai';
import { FakeI2cBus } from '../firmware-ts/devices/i2c/fake-bus.js';
import { FakeSeesaw } from '../firmware-ts/devices/neotrellis/fake-seesaw.js';
import { NeoTrellisGrid } from '../firmware-ts/devices/neotrellis/neotrellis-grid.js';
import { gridKeyOfSeesawKey, seesawKeyOfGridKey } from '../firmware-ts/devices/neotrellis/seesaw.js';
import { FakeGpio, FakeGpioPin } from '../firmware-ts/devices/gpio/fake-gpio.js';
import { MemoryLog } from '../firmware-ts/support/log.js';
import { DeviceMissingError } from '../firmware-ts/devices/errors.js';
import type { KeyEvent, Rgb } from '../firmware-ts/devices/interfaces.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const bytes = (u?: Uint8Array): number[] => [...(u ?? [])];
const black: Rgb = { r: 0, g: 0, b: 0 };

/** `interrupt`: the grid gets an INT line (BCM 17), returned as `int` for the test to drive or wire to the chip. */
async function rig(options: { brightness?: number; interrupt?: boolean } = {}) {
  const clock = new OfflineClock();
  const bus = new FakeI2cBus();
  const chip = new FakeSeesaw();
  bus.attach(0x2e, chip);
  const log = new MemoryLog();
  const int = options.interrupt
    ? ((await new FakeGpio(clock).input(17, { edge: 'falling', label: 'NeoTrellis INT' })) as FakeGpioPin)
    : undefined;
  const grid = await NeoTrellisGrid.open({
    bus,
    clock,
    log,
    interrupt: int,
    wait: async () => {},
    brightness: options.brightness ?? 1,
  });
  const events: KeyEvent[] = [];
  grid.onKey((e) => events.push(e));
  return { clock, bus, chip, log, grid, events, int };
}

describe('devices: NeoTrellis over seesaw', () => {
  it('maps the 16 grid keys onto the seesaw keypad, which is 8 columns wide', () => {
    expect([0, 3, 4, 7, 8, 15].map(seesawKeyOfGridKey)).to.deep.equal([0, 3, 8, 11, 16, 27]);
    for (let key = 0; key < 16; key++) expect(gridKeyOfSeesawKey(seesawKeyOfGridKey(key))).to.equal(key);
    expect(gridKeyOfSeesawKey(4)).to.equal(-1);
    expect(gridKeyOfSeesawKey(63)).to.equal(-1);
  });

  it('begins with reset, hardware id check, key subscriptions, interrupt enable and pixel setup, byte for byte', async () => {
    const { bus, chip } = await rig();
    const writes = bus.writes(0x2e).map(bytes);
    expect(writes[0]).to.deep.equal([0x00, 0x7f, 0xff]);
    expect(writes[1]).to.deep.equal([0x00, 0x01]);
    // key 5 is seesaw key 9: rising (edge 3 -> 0x10|1) then falling (edge 2 -> 0x08|1)
    expect(writes).to.deep.include([0x10, 0x01, 9, 0x11]);
    expect(writes).to.deep.include([0x10, 0x01, 9, 0x09]);
    expect(writes).to.deep.include([0x10, 0x02, 0x01]);
    expect(writes).to.deep.include([0x0e, 0x01, 3]);
    expect(writes).to.deep.include([0x0e, 0x03, 0x00, 48]);
    expect(chip.subscriptions.size).to.equal(16);
    expect(chip.interruptEnabled).to.equal(true);
    expect(chip.pixelPin).to.equal(3);
    expect(chip.showCount).to.equal(1);
  });

  it('reads the FIFO count, then that many events, and reports presses and releases in order', async () => {
    const { grid, chip, bus, events, clock } = await rig();
    clock.advanceTo(1.5);
    chip.press(5);
    chip.press(15);
    chip.release(5);
    bus.reset();
    expect(await grid.poll()).to.equal(3);
    expect(bus.traffic.map((t) => [t.op, ...bytes(t.bytes)])).to.deep.equal([
      ['write', 0x10, 0x04],
      ['read', 3],
      ['write', 0x10, 0x10],
      ['read', (9 << 2) | 3, (27 << 2) | 3, (9 << 2) | 2],
    ]);
    expect(events).to.deep.equal([
      { key: 5, pressed: true, time: 1.5 },
      { key: 15, pressed: true, time: 1.5 },
      { key: 5, pressed: false, time: 1.5 },
    ]);
    bus.reset();
    expect(await grid.poll()).to.equal(0);
    expect(bus.traffic).to.have.length(2); // count only; no FIFO read when empty
  });

  it('ignores an unknown key event and the FIFO filler with a debug log, and keeps going', async () => {
    const { grid, chip, events, log } = await rig();
    chip.pushRaw((4 << 2) | 3); // seesaw key 4: column 4 does not exist on a NeoTrellis
    chip.pushRaw(0xff);
    chip.press(0);
    expect(await grid.poll()).to.equal(1);
    expect(events.map((e) => e.key)).to.deep.equal([0]);
    expect(log.count('debug', 'ignored keypad event 0x13')).to.equal(1);
    expect(log.count('warn')).to.equal(0);
  });

  it('writes pixels as GRB, in chunks the seesaw accepts, then SHOW; skips unchanged halves', async () => {
    const { grid, chip, bus } = await rig();
    const colors = new Array<Rgb>(16).fill(black);
    colors[0] = { r: 255, g: 16, b: 1 };
    colors[9] = { r: 1, g: 2, b: 3 };
    bus.reset();
    await grid.show(colors);
    const writes = bus.writes().map(bytes);
    expect(writes).to.have.length(3);
    expect(writes[0].slice(0, 7)).to.deep.equal([0x0e, 0x04, 0, 0, 16, 255, 1]);
    expect(writes[1].slice(0, 4)).to.deep.equal([0x0e, 0x04, 0, 24]);
    expect(writes[2]).to.deep.equal([0x0e, 0x05]);
    expect(chip.pixel(0)).to.deep.equal({ r: 255, g: 16, b: 1 });
    expect(chip.pixel(9)).to.deep.equal({ r: 1, g: 2, b: 3 });
    bus.reset();
    colors[10] = { r: 9, g: 9, b: 9 };
    await grid.show(colors);
    expect(bus.writes().map((w) => w[3])).to.deep.equal([24, undefined]); // second half + SHOW
    bus.reset();
    await grid.show(colors);
    expect(bus.traffic).to.have.length(0);
  });

  it('a frame sent during a keypad poll never lands between the register select and the read', async () => {
    const { grid, chip, events, log } = await rig();
    chip.press(5);
    chip.release(5);
    chip.press(6);
    const colors = Array.from({ length: 16 }, (_, k): Rgb => ({ r: k * 10, g: 100, b: 0 }));
    // The box draws at 30 Hz while the keypad is polled every 10 ms: the two overlap.
    const polled = grid.poll();
    const shown = grid.show(colors);
    expect(await polled).to.equal(3);
    await shown;
    expect(events.map((e) => [e.key, e.pressed])).to.deep.equal([
      [5, true],
      [5, false],
      [6, true],
    ]);
    expect(chip.pixel(9)).to.deep.equal(colors[9]);
    expect(log.count('warn')).to.equal(0);
  });

  it('sends a frame that failed again after the backoff delay, with nothing on the bus before it', async () => {
    const { grid, chip, bus, clock, log } = await rig();
    const red = new Array<Rgb>(16).fill({ r: 200, g: 0, b: 0 });
    const blue = new Array<Rgb>(16).fill({ r: 0, g: 0, b: 200 });
    bus.failNext(0x2e, 'EIO');
    await grid.show(red);
    expect(chip.pixel(3)).to.deep.equal(black);
    expect(log.count('warn', 'EIO')).to.equal(1);
    // The box draws again during the backoff: the frame waits for the retry, which sends the latest.
    const before = bus.traffic.length;
    await grid.show(blue);
    expect(bus.traffic.length, 'nothing sent during the backoff').to.equal(before);
    clock.advanceTo(0.009);
    await settle();
    expect(chip.pixel(3)).to.deep.equal(black);
    clock.advanceTo(0.01); // the first retry waits 10 ms
    await settle();
    expect(chip.pixel(3)).to.deep.equal({ r: 0, g: 0, b: 200 });
    expect(chip.showCount).to.equal(2); // the blanking at open, then blue: red was never latched
    expect(clock.pendingTimers()).to.equal(0);
  });

  it('overlapping show() calls end with the LEDs on the last frame, and the driver knows what they show', async () => {
    const { grid, chip } = await rig();
    const a = Array.from({ length: 16 }, (_, k): Rgb => ({ r: 10 + k, g: 0, b: 0 }));
    const b = Array.from({ length: 16 }, (_, k): Rgb => (k < 8 ? { r: 0, g: 20 + k, b: 0 } : black));
    await Promise.all([grid.show(a), grid.show(b)]);
    for (let k = 0; k < 16; k++) expect(chip.pixel(k), `key ${k} after a, b`).to.deep.equal(b[k]);
    await grid.show(a);
    for (let k = 0; k < 16; k++) expect(chip.pixel(k), `key ${k} after a again`).to.deep.equal(a[k]);
  });

  it('close() during a poll in flight leaves no timer behind, so nothing polls the closed bus', async () => {
    const { grid, bus, clock } = await rig();
    grid.start();
    clock.advance(0.01); // the poll timer fires; its read is on the bus
    await grid.close();
    expect(clock.pendingTimers()).to.equal(0);
    await bus.close();
    clock.advance(1);
    await settle();
  });

  it('reads again while INT stays low: a key pressed during a read gives no new edge', async () => {
    const { chip, grid, events, int } = await rig({ interrupt: true });
    chip.wireInterrupt(int!);
    grid.start();
    // Key 9 goes down just after the chip answered the FIFO count for key 7's press.
    const onRead = chip.onRead.bind(chip);
    let pressedDuringRead = false;
    chip.onRead = (length) => {
      const out = onRead(length);
      if (!pressedDuringRead) {
        pressedDuringRead = true;
        chip.press(9);
      }
      return out;
    };
    chip.press(7);
    for (let i = 0; i < 5; i++) await settle();
    expect(
      events.map((e) => e.key),
      'without waiting for the 250 ms safety poll',
    ).to.deep.equal([7, 9]);
    expect(int!.read()).to.equal(1);
    await grid.close();
  });

  it('rejects a frame of the wrong size or a bad colour with a message naming it', async () => {
    const { grid } = await rig();
    try {
      await grid.show([black]);
      expect.fail('should throw');
    } catch (err) {
      expect((err as Error).message).to.match(/expected 16 colours, got 1/);
    }
    const colors = new Array<Rgb>(16).fill(black);
    colors[3] = { r: 300, g: 0, b: 0 };
    try {
      await grid.show(colors);
      expect.fail('should throw');
    } catch (err) {
      expect((err as Error).message).to.match(/colour 3\.r = 300/);
    }
  });

  it('retries a failing bus with backoff and logs once per outage, not per poll', async () => {
    const { grid, chip, bus, events, log, clock } = await rig();
    grid.start();
    bus.failNext(0x2e, 'EIO', 6);
    for (let i = 0; i < 10; i++) {
      clock.advance(0.01);
      await settle();
    }
    expect(grid.trouble()).to.equal('step grid: EIO on the I2C bus, retrying');
    for (let i = 0; i < 190; i++) {
      clock.advance(0.01);
      await settle();
    }
    expect(grid.trouble()).to.equal(null);
    expect(log.count('warn', 'EIO')).to.equal(1);
    expect(log.count('info'), 'quiet until it has run cleanly for a while').to.equal(0);
    for (let i = 0; i < 600; i++) {
      clock.advance(0.01);
      await settle();
    }
    expect(log.count('info', 'running cleanly again; 6 bus error(s)')).to.equal(1);
    chip.press(2);
    for (let i = 0; i < 3; i++) {
      clock.advance(0.01);
      await settle();
    }
    expect(events.map((e) => e.key)).to.deep.equal([2]);
    // Backoff: 6 failures then recovery took fewer polls than 800 ticks would allow at 10 ms.
    const countReads = bus.traffic.filter((t) => t.op === 'write' && t.bytes[1] === 0x04).length;
    expect(countReads).to.be.lessThan(800);
    await grid.close();
  });

  it('a chip that lost power and came back reset is set up again: keys answer, the frame is back on the LEDs', async () => {
    const { grid, chip, bus, events, clock } = await rig();
    grid.start();
    const colors = Array.from({ length: 16 }, (_, k): Rgb => ({ r: 0, g: 5 * k, b: 40 }));
    await grid.show(colors);
    const tick = async (seconds: number): Promise<void> => {
      for (const end = clock.now() + seconds; clock.now() < end;) {
        clock.advance(0.01);
        await settle();
      }
    };
    bus.failNext(0x2e, 'EIO', Infinity); // the cable comes loose...
    await tick(0.1);
    chip.reset(); // ...the chip loses power...
    bus.clearFailures(); // ...and the cable is pushed back: a reset seesaw answers
    expect(chip.subscriptions.size).to.equal(0);
    await tick(1);
    expect(chip.subscriptions.size).to.equal(16);
    expect(chip.interruptEnabled).to.equal(true);
    for (let k = 0; k < 16; k++) expect(chip.pixel(k), `key ${k}`).to.deep.equal(colors[k]);
    chip.press(4);
    await tick(0.03);
    expect(events.map((e) => [e.key, e.pressed])).to.deep.equal([[4, true]]);
    await grid.close();
  });

  it('a chip reset with no bus error at all (a brown-out) is set up again within 2 s, and the LEDs never flash meanwhile', async () => {
    const { grid, chip, events, clock, log } = await rig();
    chip.strict = false; // a reset chip drops pixel writes silently: no bus error to recover by
    grid.start();
    const colors = Array.from({ length: 16 }, (_, k): Rgb => ({ r: 10 + k, g: 0, b: 200 }));
    await grid.show(colors);
    const tick = async (seconds: number, check?: () => void): Promise<void> => {
      for (const end = clock.now() + seconds; clock.now() < end;) {
        clock.advance(0.01);
        await settle();
        check?.();
      }
    };
    const showsFrame = (): void => {
      for (let k = 0; k < 16; k++)
        expect(chip.pixel(k), `key ${k} at ${clock.now().toFixed(2)} s`).to.deep.equal(colors[k]);
    };
    const shows = chip.showCount;
    await tick(4, showsFrame); // the rounds rewrite the set-up and the frame: never a SHOW of a half-empty buffer
    expect(chip.showCount - shows, 'the frame is latched again after each round').to.be.within(2, 3);
    chip.press(9);
    await tick(0.03);
    chip.reset(); // key 9 is let go while the chip is down: its release is lost
    chip.release(9);
    colors[3] = { r: 0, g: 255, b: 0 }; // and the frame changes meanwhile
    await grid.show(colors);
    await tick(2);
    expect(chip.subscriptions.size).to.equal(16);
    expect(chip.interruptEnabled).to.equal(true);
    showsFrame();
    expect(chip.ignoredWrites, 'the frame sent to the reset chip went nowhere').to.be.greaterThan(0);
    expect(
      log.lines.filter((l) => l.level === 'warn'),
      'no bus error was involved',
    ).to.deep.equal([]);
    chip.press(9);
    await tick(0.03);
    expect(
      events.map((e) => [e.key, e.pressed]),
      'the press after the lost release counts',
    ).to.deep.equal([
      [9, true],
      [9, false],
      [9, true],
    ]);
    await grid.close();
  });

  it('a key whose release was lost while the chip was off: its next press comes with the release first, so it counts', async () => {
    const { grid, chip, bus, events, clock } = await rig();
    grid.start();
    const tick = async (seconds: number): Promise<void> => {
      for (const end = clock.now() + seconds; clock.now() < end;) {
        clock.advance(0.01);
        await settle();
      }
    };
    chip.press(7);
    await tick(0.03);
    bus.failNext(0x2e, 'EIO', Infinity);
    await tick(0.1);
    chip.reset(); // the release of key 7 happens while the chip is off: it never reaches the FIFO
    bus.clearFailures();
    await tick(1);
    chip.press(7);
    chip.release(7);
    await tick(0.03);
    expect(events.map((e) => [e.key, e.pressed])).to.deep.equal([
      [7, true],
      [7, false],
      [7, true],
      [7, false],
    ]);
    await grid.close();
  });

  it('a frame latched while a poll set the chip up again is sent again in full: the LEDs end on the last frame', async () => {
    const { grid, chip, bus, log } = await rig();
    // Every frame differs from the one before in both halves, so each latch writes both halves, then SHOW.
    const frame = (n: number): Rgb[] =>
      Array.from({ length: 16 }, (_, k): Rgb => ({ r: (n * 7 + k) % 256, g: n % 256, b: 100 }));
    let n = 0;
    let last = frame(n);
    await grid.show(last);
    // The box keeps drawing (a new frame each time one is latched) until the set-up's last write, BUF_LENGTH, reaches the chip
    // (at most 100 frames: a failing test must not leave it drawing forever).
    const trace: string[] = [];
    let drawing = true;
    const onWrite = chip.onWrite.bind(chip);
    chip.onWrite = (b) => {
      onWrite(b);
      if (b[0] === 0x0e && b[1] === 0x04) trace.push(`pixels@${b[3]}`);
      if (b[0] === 0x0e && b[1] === 0x03) {
        trace.push('BUF_LENGTH');
        drawing = false;
      }
      if (b[0] === 0x0e && b[1] === 0x05) {
        trace.push('SHOW');
        if (drawing && n < 100) {
          last = frame(++n);
          void grid.show(last);
        }
      }
    };
    bus.failNext(0x2e, 'EIO'); // a glitch fails one poll's FIFO count read...
    const failed = grid.poll();
    last = frame(++n);
    const shown = grid.show(last); // ...while the box starts drawing
    expect(await failed).to.equal(0);
    expect(log.count('warn', 'keypad: EIO'), 'the glitch hit the poll, not the frame').to.equal(1);
    await grid.poll(); // the next poll sets the chip up again (the buffer is cleared) while frames are on the bus
    await shown;
    for (let i = 0; i < 5; i++) await settle();
    // The set-up overlapped a frame: BUF_LENGTH landed after that frame's first pixel write and before its SHOW.
    const cut = trace.indexOf('BUF_LENGTH');
    expect(trace.lastIndexOf('pixels@0', cut), 'a frame was half written when BUF_LENGTH came').to.be.greaterThan(
      trace.lastIndexOf('SHOW', cut),
    );
    for (let k = 0; k < 16; k++) expect(chip.pixel(k), `key ${k}`).to.deep.equal(last[k]);
    expect(bytes(bus.lastWrite(0x2e)), 'a SHOW comes last').to.deep.equal([0x0e, 0x05]);
    await grid.close();
  });

  it('start() called again, even while a poll is on the bus, runs one poll loop: one FIFO count read per interval', async () => {
    const { grid, bus, clock } = await rig();
    const countReads = (): number =>
      bus.traffic.filter((t) => t.op === 'write' && t.bytes[0] === 0x10 && t.bytes[1] === 0x04).length;
    grid.start();
    grid.start();
    clock.advance(0.01); // the first poll's FIFO count read is on the bus...
    grid.start(); // ...when start() is called again
    clock.advance(0.003); // the read takes a few milliseconds
    await settle();
    clock.advance(0.005);
    await settle();
    // Ten 10 ms intervals, in 1 ms steps (the bus work in each step finishes before the next).
    const perInterval: number[] = [];
    for (let i = 0; i < 10; i++) {
      const before = countReads();
      for (let ms = 0; ms < 10; ms++) {
        clock.advance(0.001);
        await settle();
      }
      perInterval.push(countReads() - before);
    }
    expect(perInterval).to.deep.equal(new Array(10).fill(1));
    await grid.close();
    expect(clock.pendingTimers()).to.equal(0);
  });

  it('polls on the INT line when it is wired', async () => {
    const { chip, grid, events, int } = await rig({ interrupt: true });
    int!.set(1);
    grid.start();
    chip.press(7);
    int!.set(0);
    await settle();
    expect(events.map((e) => e.key)).to.deep.equal([7]);
  });

  it('reports a missing or foreign chip as DeviceMissingError naming the address', async () => {
    const clock = new OfflineClock();
    const bus = new FakeI2cBus();
    try {
      await NeoTrellisGrid.open({ bus, clock, wait: async () => {} });
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(DeviceMissingError);
      expect((err as Error).message).to.match(/0x2E.*ENXIO/);
    }
    const chip = new FakeSeesaw();
    chip.hardwareId = 0x87;
    bus.attach(0x2e, chip);
    try {
      await NeoTrellisGrid.open({ bus, clock, wait: async () => {} });
      expect.fail('should throw');
    } catch (err) {
      expect((err as Error).message).to.match(/hardware id 0x87, expected 0x55/);
    }
  });
});
