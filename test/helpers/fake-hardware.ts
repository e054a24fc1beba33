import { ADS1115_READY_EDGE } from '../../firmware-ts/devices/ads1115/ads1115.js';
import { FakeAds1115 } from '../../firmware-ts/devices/ads1115/fake-ads1115.js';
import { GpioButtons } from '../../firmware-ts/devices/buttons/gpio-buttons.js';
import { RotaryEncoder } from '../../firmware-ts/devices/buttons/rotary-encoder.js';
import { FakeGpio, FakeGpioPin } from '../../firmware-ts/devices/gpio/fake-gpio.js';
import { FakeI2cBus } from '../../firmware-ts/devices/i2c/fake-bus.js';
import { MemoryLog } from '../../firmware-ts/support/log.js';
import { FakeSeesaw } from '../../firmware-ts/devices/neotrellis/fake-seesaw.js';
import { NeoTrellisGrid } from '../../firmware-ts/devices/neotrellis/neotrellis-grid.js';
import { Ads1115TapPad } from '../../firmware-ts/devices/tap-pad/ads1115-tap-pad.js';
import type { OfflineClock } from '../../firmware-ts/time/clock.js';

/** Fake panel hardware at register level, driven through the real drivers (the gesture and box tests). */
export async function fakeHardware(clock: OfflineClock) {
  const bus = new FakeI2cBus();
  const seesaw = new FakeSeesaw();
  const gpio = new FakeGpio(clock);
  const ready = (await gpio.input(27, { edge: ADS1115_READY_EDGE, label: 'ADS1115 ALERT/RDY' })) as FakeGpioPin;
  const adc = new FakeAds1115(clock, ready);
  bus.attach(0x2e, seesaw).attach(0x48, adc);
  const log = new MemoryLog();
  const grid = await NeoTrellisGrid.open({ bus, clock, log, wait: async () => {} });
  const tapPad = await Ads1115TapPad.open({ bus, clock, ready, log });
  const buttons = await GpioButtons.open({ gpio, clock });
  const tempo = await RotaryEncoder.open({ gpio });
  grid.start();
  return {
    bus,
    seesaw,
    gpio,
    adc,
    log,
    devices: { grid, tapPad, buttons, tempo },
    async close() {
      await grid.close();
      await tapPad.close();
      await buttons.close();
      await tempo.close();
    },
  };
}
