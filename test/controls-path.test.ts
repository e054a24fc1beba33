import { expect } from 'chai';
import { GestureCapture } from '../firmware-ts/controls/capture.js';
import { PanelModes } from '../firmware-ts/controls/panel-modes.js';
import { drumState } from '../firmware-ts/controls/state.js';
import { gestureStateFromJSON } from '../firmware-ts/controls/state-json.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';
import { fakeHardware } from './helpers/fake-hardware.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The whole path with an offline clock: fake key presses on the seesaw and
 * fake piezo strokes on the ADS1115, through the real drivers, the onset
 * detector, the editor and the recorder, into the gesture state.
 */
describe('controls: from fake hardware to GestureState', () => {
  it('builds score, groove and accent from key presses, buttons and taps', async () => {
    const clock = new OfflineClock();
    const hw = await fakeHardware(clock);
    const { seesaw, gpio, adc, log } = hw;
    const { grid, tapPad: pad, buttons } = hw.devices;
    const capture = new GestureCapture({ clock, bpm: () => 120 });
    new PanelModes({ capture }).attach({ grid, buttons, tapPad: pad });

    const run = async (until: number): Promise<void> => {
      while (clock.now() + 1 / 860 <= until) {
        clock.advance(1 / 860);
        adc.convert();
        await settle();
      }
    };
    const press = async (key: number): Promise<void> => {
      seesaw.press(key);
      seesaw.release(key);
      await run(clock.now() + 0.03);
    };
    const button = async (bcm: number, down: boolean): Promise<void> => {
      gpio.pin(bcm).set(down ? 1 : 0);
      await run(clock.now() + 0.03);
    };

    await run(0.5); // the onset detector learns the quiet floor
    // SHIFT + key 3 selects the closed hat; keys 0, 4, 8, 12 put it on the quarters; SHIFT + 15 on the kick = "no kick"
    await button(22, true);
    await press(2);
    await button(22, false);
    for (const k of [0, 4, 8, 12]) await press(k);
    await button(22, true);
    await press(0);
    await press(15);
    await press(2);
    await button(22, false);
    expect(capture.ui.drum).to.equal(2);
    expect(drumState(capture.state, 0)).to.equal('empty');
    expect(drumState(capture.state, 1)).to.equal('unspecified');
    // Linked bars: the quarters of bar 1 play in bar 2 as well.
    expect(capture.state.scores[2]!.map((v, i) => (v ? i : -1)).filter((i) => i >= 0)).to.deep.equal([
      0, 4, 8, 12, 16, 20, 24, 28,
    ]);
    // the LEDs on the grid show it (brightness 0.35 of the drum colour)
    await grid.show(capture.colors());
    expect(seesaw.pixel(4).g).to.be.greaterThan(0);
    expect(seesaw.pixel(5)).to.deep.equal({ r: 0, g: 0, b: 0 });

    // REC: one bar count-in at 120 BPM (2 s), then 2 bars; tap 8ths, the first of each bar louder, the 3rd one 20 ms late
    await button(6, true);
    await button(6, false);
    const start = capture.recorder.window!.start;
    for (let i = 0; i < 16; i++) adc.hit(i % 8 === 0 ? 0.9 : 0.3, start + i * 0.25 + (i === 2 ? 0.02 : 0));
    await run(start + 4.2);
    const g = capture.state.groove!;
    expect(g).to.not.equal(null);
    expect(g.hits.map((h, i) => (h ? i : -1)).filter((i) => i >= 0)).to.deep.equal(
      Array.from({ length: 16 }, (_, i) => i * 2),
    );
    expect(g.offsets[4]).to.be.closeTo(0.02 / 0.0625, 0.04); // late = positive: 20 ms of a 62.5 ms half-16th
    expect(Math.abs(g.offsets[0])).to.be.lessThan(0.04);
    expect(g.velocities[0]).to.be.greaterThan(g.velocities[2] + 0.2);

    // accent from taps: the loud downbeats (louder than mean + 1 std)
    await button(22, true);
    await press(9);
    await button(22, false);
    expect(capture.state.accentSource).to.equal('taps');
    expect(capture.state.accent!.map((v, i) => (v ? i : -1)).filter((i) => i >= 0)).to.deep.equal([0, 16]);

    // an empty take keeps the groove
    const before = JSON.stringify(capture.state);
    await button(6, true);
    await button(6, false);
    await run(clock.now() + 6.2);
    expect(JSON.stringify(capture.state)).to.equal(before);
    // and the state is plain JSON
    expect(gestureStateFromJSON(JSON.parse(before))).to.deep.equal(capture.state);
    expect(log.count('warn')).to.equal(0);
    await hw.close();
  });
});
