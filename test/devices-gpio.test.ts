import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GpioButtons } from '../firmware-ts/devices/buttons/gpio-buttons.js';
import { RotaryEncoder } from '../firmware-ts/devices/buttons/rotary-encoder.js';
import { FakeGpio } from '../firmware-ts/devices/gpio/fake-gpio.js';
import { sysfsNumberForBcm } from '../firmware-ts/devices/gpio/sysfs-number.js';
import { openOnoffGpio } from '../firmware-ts/devices/gpio/onoff-gpio.js';
import { DeviceMissingError } from '../firmware-ts/devices/errors.js';
import type { ButtonEvent } from '../firmware-ts/devices/interfaces.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';

function fakeSysfs(chips: { name: string; base: number; ngpio: number; label: string }[]): string {
  const root = mkdtempSync(join(tmpdir(), 'gpio-'));
  for (const c of chips) {
    mkdirSync(join(root, c.name));
    writeFileSync(join(root, c.name, 'base'), `${c.base}\n`);
    writeFileSync(join(root, c.name, 'ngpio'), `${c.ngpio}\n`);
    writeFileSync(join(root, c.name, 'label'), `${c.label}\n`);
  }
  writeFileSync(join(root, 'export'), '');
  return root;
}

describe('devices: GPIO lines and sysfs numbers', () => {
  const roots: string[] = [];
  after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

  it('resolves BCM to the sysfs number from the header chip base (kernel >= 6.6 offsets)', () => {
    const pi4 = fakeSysfs([
      { name: 'gpiochip512', base: 512, ngpio: 58, label: 'pinctrl-bcm2711' },
      { name: 'gpiochip570', base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio' },
    ]);
    const pi5 = fakeSysfs([
      { name: 'gpiochip512', base: 512, ngpio: 32, label: 'gpio-brcmstb@107d508500' },
      { name: 'gpiochip571', base: 571, ngpio: 54, label: 'pinctrl-rp1' },
    ]);
    const old = fakeSysfs([
      { name: 'gpiochip0', base: 0, ngpio: 54, label: 'pinctrl-bcm2835' },
      { name: 'gpiochip504', base: 504, ngpio: 8, label: 'raspberrypi-exp-gpio' },
    ]);
    roots.push(pi4, pi5, old);
    expect(sysfsNumberForBcm(17, pi4)).to.equal(529);
    expect(sysfsNumberForBcm(17, pi5)).to.equal(588);
    expect(sysfsNumberForBcm(17, old)).to.equal(17);
  });

  it('names what it found when no header chip is there, and rejects non-header lines', () => {
    const odd = fakeSysfs([{ name: 'gpiochip0', base: 0, ngpio: 16, label: 'some-expander' }]);
    roots.push(odd);
    expect(() => sysfsNumberForBcm(5, odd)).to.throw(DeviceMissingError, /found gpiochip0 "some-expander"/);
    expect(() => sysfsNumberForBcm(40, odd, 'PLAY button')).to.throw(
      /PLAY button: BCM line 40 is not a header GPIO \(expected an integer 0\.\.27\)/,
    );
    expect(() => sysfsNumberForBcm(5, '/nonexistent/gpio')).to.throw(DeviceMissingError, /does not exist/);
  });

  it('a pulse shorter than a read reaches only a watch on the edge that ends it, once, as onoff passes it on', async () => {
    const clock = new OfflineClock();
    const gpio = new FakeGpio(clock);
    const seen: Record<string, number[]> = { falling: [], rising: [], both: [] };
    const lines = [
      [27, 'falling'],
      [17, 'rising'],
      [4, 'both'],
    ] as const;
    for (const [bcm, edge] of lines) {
      const pin = await gpio.input(bcm, { edge, label: `${edge} watch` });
      pin.onEdge((level) => seen[edge].push(level));
      gpio.pin(bcm).set(1); // idle high, as ALERT/RDY with its pull-up
    }
    seen.rising.length = seen.both.length = 0;
    for (const [bcm] of lines) gpio.pin(bcm).pulse(); // low for 8 us, high again before epoll's callback reads it
    // onoff reads high after the pulse: a falling watch hears nothing, the others hear the high level once.
    expect(seen).to.deep.equal({ falling: [], rising: [1], both: [1] });
  });

  it('reports missing sysfs GPIO as a DeviceMissingError (this machine has none)', async () => {
    try {
      await openOnoffGpio({ clock: new OfflineClock(), sysfsRoot: '/nonexistent/gpio' });
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(DeviceMissingError);
      expect((err as DeviceMissingError).device).to.equal('gpio');
    }
  });
});

describe('devices: debounced buttons', () => {
  async function rig() {
    const clock = new OfflineClock(10);
    const gpio = new FakeGpio(clock);
    const buttons = await GpioButtons.open({ gpio, clock, debounce: 0.01 });
    const events: ButtonEvent[] = [];
    buttons.onButton((e) => events.push(e));
    return { clock, gpio, buttons, events };
  }

  it('reports one press for a bouncing contact, stamped with the first edge', async () => {
    const { clock, gpio, buttons, events } = await rig();
    const play = gpio.pin(5);
    play.set(1);
    clock.advance(0.0005);
    play.set(0);
    clock.advance(0.0005);
    play.set(1);
    clock.advance(0.001);
    play.set(0);
    clock.advance(0.0003);
    play.set(1);
    clock.advance(0.05);
    expect(events).to.deep.equal([{ button: 'play', pressed: true, time: 10 }]);
    expect(buttons.isDown('play')).to.equal(true);
    play.set(0);
    clock.advance(0.002);
    play.set(1);
    clock.advance(0.001);
    play.set(0);
    clock.advance(0.05);
    expect(events.map((e) => e.pressed)).to.deep.equal([true, false]);
    expect(buttons.isDown('play')).to.equal(false);
  });

  it('does not lose a release that happens inside the lockout', async () => {
    const { clock, gpio, events } = await rig();
    const rec = gpio.pin(6);
    rec.set(1);
    clock.advance(0.004);
    rec.set(0);
    clock.advance(0.02);
    expect(events.map((e) => [e.button, e.pressed])).to.deep.equal([
      ['rec', true],
      ['rec', false],
    ]);
    expect(events[1].time).to.be.closeTo(10.01, 1e-9);
  });

  it('keeps buttons apart and validates the wiring', async () => {
    const { clock, gpio, events } = await rig();
    gpio.pin(22).set(1);
    gpio.pin(26).set(1);
    clock.advance(0.02);
    expect(events.map((e) => e.button)).to.deep.equal(['shift', 'generate']);
    const other = new FakeGpio(clock);
    await GpioButtons.open({ gpio: other, clock, pins: { play: 6 } }).then(
      () => expect.fail('should throw'),
      (err) => expect(err.message).to.match(/play and rec are both on BCM 6/),
    );
    await GpioButtons.open({ gpio: new FakeGpio(clock), clock, debounce: 1 }).then(
      () => expect.fail('should throw'),
      (err) => expect(err.message).to.match(/debounce time: expected 0\.\.0\.2 s, got 1/),
    );
  });
});

describe('devices: tempo encoder', () => {
  it('counts detents in both directions and ignores bounce', async () => {
    const clock = new OfflineClock();
    const gpio = new FakeGpio(clock);
    const encoder = await RotaryEncoder.open({ gpio });
    const turns: number[] = [];
    encoder.onTurn((d) => turns.push(d));
    const a = gpio.pin(23),
      b = gpio.pin(24);
    const cw = (): void => {
      a.set(1);
      b.set(1);
      a.set(0);
      b.set(0);
    };
    const ccw = (): void => {
      b.set(1);
      a.set(1);
      b.set(0);
      a.set(0);
    };
    cw();
    cw();
    ccw();
    // bounce on A inside a detent: back and forth, no count
    a.set(1);
    a.set(0);
    a.set(1);
    a.set(0);
    expect(turns).to.deep.equal([1, 1, -1]);
  });
});
