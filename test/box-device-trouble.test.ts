import { expect } from 'chai';
import { mergeGrids, mergeTapPads } from '../firmware-ts/box/merged-devices.js';
import type { Rgb, StepGrid, TapPad } from '../firmware-ts/devices/interfaces.js';
import { tempDir, testBox } from './helpers/box-fixtures.js';

/** The error colour (full red) as the NeoTrellis shows it at its default brightness of 0.35. */
const isErrorRed = (c: Rgb): boolean => c.r === Math.round(255 * 0.35) && c.g === 0 && c.b === 0;
/** Its other half: white, so that it cannot be taken for the count-in's steady red. */
const isErrorWhite = (c: Rgb): boolean => c.r === Math.round(255 * 0.35) && c.g === c.r && c.b === c.r;

describe('box: I2C trouble on the panel devices (fake seesaw and ADS1115 behind a failing bus)', () => {
  it('ADC read errors: the bottom-right key flashes red and white over the grid, one status line, no crash; it stops when the bus recovers', async () => {
    const t = await testBox({ modelsDir: tempDir('groovebox-no-models-') });
    await t.box.boot();
    await t.button('shift', true);
    await t.press(0);
    await t.button('shift', false); // the kick
    await t.press(0);
    await t.press(4); // two steps lit
    await t.run(t.clock.now() + 0.5);
    const grid = (): Rgb[] => Array.from({ length: 16 }, (_, k) => t.hw.seesaw.pixel(k));
    const before = grid();
    expect(isErrorRed(before[15])).to.equal(false);

    t.hw.bus.failNext(0x48, 'EIO', Infinity);
    await t.run(t.clock.now() + 0.3);
    const key15: boolean[] = [];
    for (let i = 0; i < 60; i++) {
      await t.run(t.clock.now() + 1 / 60);
      key15.push(isErrorRed(t.hw.seesaw.pixel(15)));
      expect(
        isErrorRed(t.hw.seesaw.pixel(15)) || isErrorWhite(t.hw.seesaw.pixel(15)),
        'red or white, nothing else',
      ).to.equal(true);
      expect(grid().slice(0, 15), 'the other keys show what they did').to.deep.equal(before.slice(0, 15));
    }
    const lit = key15.filter(Boolean).length;
    expect(lit, 'on about half the time').to.be.within(20, 40);
    expect(key15.slice(1).filter((on, i) => on !== key15[i]).length, 'about 2 blinks a second for 1 s').to.be.within(
      3,
      5,
    );
    const status = t.box.snapshot().status.filter((line) => line.includes('tap pad: EIO on the I2C bus'));
    expect(status).to.deep.equal([
      'tap pad: EIO on the I2C bus, retrying (the bottom-right key flashes red and white until it recovers)',
    ]);

    t.hw.bus.clearFailures();
    await t.run(t.clock.now() + 3);
    for (let i = 0; i < 30; i++) {
      await t.run(t.clock.now() + 1 / 60);
      const key = t.hw.seesaw.pixel(15);
      expect(isErrorRed(key) || isErrorWhite(key), 'the error key is gone after recovery').to.equal(false);
    }
    expect(grid()).to.deep.equal(before);
    await t.close();
  });

  it('the error key goes back to the grid colour whichever half of its blink the recovery lands in, for each kind of bus error', async () => {
    // The blink's half-period is 0.25 s: among these offsets, recoveries land in both halves.
    const runs = [
      [0, 'EIO'],
      [0.125, 'ENXIO'],
      [0.25, 'ETIMEDOUT'],
      [0.375, 'EREMOTEIO'],
    ] as const;
    for (const [offset, code] of runs) {
      const t = await testBox({ modelsDir: tempDir('groovebox-no-models-') });
      await t.box.boot();
      await t.run(t.clock.now() + 0.5 + offset);
      const before = t.hw.seesaw.pixel(15);
      t.hw.bus.failNext(0x48, code, Infinity);
      await t.run(t.clock.now() + 1);
      expect(
        t.box.snapshot().status.filter((line) => line.startsWith(`tap pad: ${code} on the I2C bus`)),
        code,
      ).to.have.length(1);
      t.hw.bus.clearFailures();
      await t.run(t.clock.now() + 4); // the backoff has doubled to 2 s at most
      expect(t.hw.seesaw.pixel(15), `recovered at offset ${offset} s`).to.deep.equal(before);
      await t.close();
    }
  });

  it('grid bus errors: the panel shows the error key while the LEDs cannot; the LEDs come back with the bus', async () => {
    const t = await testBox({ modelsDir: tempDir('groovebox-no-models-') });
    await t.box.boot();
    await t.run(t.clock.now() + 0.3);
    t.hw.bus.failNext(0x2e, 'EIO', Infinity);
    await t.run(t.clock.now() + 1);
    const panelKey15: boolean[] = [];
    for (let i = 0; i < 30; i++) {
      await t.run(t.clock.now() + 1 / 60);
      const led = t.box.snapshot().leds[15];
      panelKey15.push(led.r === 255 && led.g === 0 && led.b === 0);
    }
    expect(panelKey15.filter(Boolean).length).to.be.within(8, 22);
    expect(t.box.snapshot().status.filter((line) => line.startsWith('step grid: EIO on the I2C bus'))).to.have.length(
      1,
    );

    t.hw.bus.clearFailures();
    await t.run(t.clock.now() + 4); // the backoff has doubled to 2 s at most
    expect(t.box.snapshot().leds[15].r === 255 && t.box.snapshot().leds[15].g === 0).to.equal(false);
    // Keys answer and the LEDs show the box's frame again.
    const key5 = t.box.snapshot().leds[5];
    await t.press(5);
    expect(t.box.snapshot().leds[5]).to.not.deep.equal(key5);
    const shown = Array.from({ length: 16 }, (_, k) => t.hw.seesaw.pixel(k));
    const expected = t.box
      .snapshot()
      .leds.map((c) => ({ r: Math.round(c.r * 0.35), g: Math.round(c.g * 0.35), b: Math.round(c.b * 0.35) }));
    expect(shown).to.deep.equal(expected);
    await t.close();
  });

  it("the hardware's trouble shows through the merge with the virtual panel, which has none to report", () => {
    let trouble: string | null = null;
    const hardwareGrid: StepGrid = {
      onKey: () => () => {},
      show: async () => {},
      close: async () => {},
      trouble: () => trouble,
    };
    const virtualGrid: StepGrid = { onKey: () => () => {}, show: async () => {}, close: async () => {} };
    const hardwarePad: TapPad = { onHit: () => () => {}, close: async () => {}, trouble: () => trouble };
    const virtualPad: TapPad = { onHit: () => () => {}, close: async () => {} };
    const grid = mergeGrids(virtualGrid, hardwareGrid)!;
    const pad = mergeTapPads(hardwarePad, virtualPad)!;
    expect([grid.trouble?.(), pad.trouble?.()]).to.deep.equal([null, null]);
    trouble = 'step grid: EIO on the I2C bus, retrying';
    expect([grid.trouble?.(), pad.trouble?.()]).to.deep.equal([trouble, trouble]);
  });
});
