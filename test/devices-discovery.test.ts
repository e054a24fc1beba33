import { expect } from 'chai';
import { FakeAds1115 } from '../firmware-ts/devices/ads1115/fake-ads1115.js';
import { discoverDevices, DEFAULT_SIGNAL_PINS, DEVICE_NAMES } from '../firmware-ts/devices/discovery.js';
import { DeviceMissingError } from '../firmware-ts/devices/errors.js';
import { FakeGpio } from '../firmware-ts/devices/gpio/fake-gpio.js';
import type { Ads1115TapPad } from '../firmware-ts/devices/tap-pad/ads1115-tap-pad.js';
import { FakeI2cBus } from '../firmware-ts/devices/i2c/fake-bus.js';
import { openI2cBus } from '../firmware-ts/devices/i2c/i2c-bus-driver.js';
import { MemoryLogs } from '../firmware-ts/support/log.js';
import { MemoryLog } from '../firmware-ts/support/log.js';
import { FakeSeesaw } from '../firmware-ts/devices/neotrellis/fake-seesaw.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';

describe('devices: discovery', () => {
  it('says which device is missing and carries on with the others', async () => {
    const clock = new OfflineClock();
    const bus = new FakeI2cBus().attach(0x2e, new FakeSeesaw()); // grid present, no ADC at 0x48
    const log = new MemoryLog();
    const found = await discoverDevices({
      clock,
      log,
      openI2c: async () => bus,
      openGpio: async () => new FakeGpio(clock),
      wait: async () => {},
    });
    expect(found.stepGrid).to.not.equal(null);
    expect(found.buttons).to.not.equal(null);
    expect(found.tempo).to.not.equal(null);
    expect(found.tapPad).to.equal(null);
    expect(found.missing.map((m) => m.device)).to.deep.equal(['ADS1115 tap pad ADC (0x48)']);
    expect(log.count('warn', 'ADS1115 tap pad ADC (0x48) not available: no answer on the I2C bus (ENXIO)')).to.equal(1);
    await found.close();
    expect(bus.closed).to.equal(true);
  });

  it('opens ALERT/RDY on the edge onoff can deliver for an 8 us pulse, so every conversion is read', async () => {
    const clock = new OfflineClock();
    const adc = new FakeAds1115(clock);
    const bus = new FakeI2cBus().attach(0x2e, new FakeSeesaw()).attach(0x48, adc);
    const gpio = new FakeGpio(clock);
    const found = await discoverDevices({
      clock,
      log: new MemoryLog(),
      openI2c: async () => bus,
      openGpio: async () => gpio,
      wait: async () => {},
    });
    adc.wireReady(gpio.pin(DEFAULT_SIGNAL_PINS.padReady));
    const sampler = (found.tapPad as Ads1115TapPad).sampler;
    const before = sampler.samples;
    for (let i = 0; i < 86; i++) {
      clock.advance(1 / 860);
      adc.convert();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(sampler.samples - before).to.equal(86);
    await found.close();
  });

  it("hands each driver the box's log under its own namespace, so driver lines keep the box's stdout/stderr split", async () => {
    const clock = new OfflineClock();
    const adc = new FakeAds1115(clock).stick(0x6000); // a shorted piezo input: the tap pad driver warns
    const bus = new FakeI2cBus().attach(0x2e, new FakeSeesaw()).attach(0x48, adc);
    const gpio = new FakeGpio(clock);
    const logs = new MemoryLogs();
    const found = await discoverDevices({
      clock,
      log: logs.factory('devices'),
      driverLogs: logs.factory,
      openI2c: async () => bus,
      openGpio: async () => gpio,
      wait: async () => {},
    });
    adc.wireReady(gpio.pin(DEFAULT_SIGNAL_PINS.padReady));
    for (let i = 0; i < 20; i++) {
      clock.advance(1 / 860);
      adc.convert();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const warning = logs.lines.find((l) => l.message.startsWith('tap pad input sits at'));
    expect(warning?.namespace).to.equal('groovebox:tap-pad');
    expect(warning?.level).to.equal('warn');
    await found.close();
  });

  it('on a machine without I2C or GPIO, logs one line per missing device naming it and why, and throws nothing', async () => {
    const log = new MemoryLog();
    const found = await discoverDevices({
      clock: new OfflineClock(),
      log,
      openI2c: () => openI2cBus(1, '/nonexistent/i2c-1'),
      openGpio: async () => {
        throw new DeviceMissingError('gpio', '/sys/class/gpio does not exist');
      },
    });
    expect([found.stepGrid, found.tapPad, found.buttons, found.tempo]).to.deep.equal([null, null, null, null]);
    expect(found.missing.map((m) => m.device)).to.deep.equal(Object.values(DEVICE_NAMES));
    const warnings = log.lines.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warnings).to.have.length(4);
    expect(warnings[0]).to.match(
      /^NeoTrellis step grid \(seesaw at 0x2E\) not available: no I2C bus: \/nonexistent\/i2c-1 does not exist .*; carrying on without it$/,
    );
    expect(warnings[1]).to.match(
      /^ADS1115 tap pad ADC \(0x48\) not available: no I2C bus: \/nonexistent\/i2c-1 does not exist/,
    );
    expect(warnings.slice(2)).to.deep.equal([
      'function buttons not available: no GPIO: /sys/class/gpio does not exist; carrying on without it',
      'tempo encoder not available: no GPIO: /sys/class/gpio does not exist; carrying on without it',
    ]);
    await found.close();
  });

  it('names a grid that does not answer as it names a grid without a bus', async () => {
    const clock = new OfflineClock();
    const log = new MemoryLog();
    const found = await discoverDevices({
      clock,
      log,
      openI2c: async () => new FakeI2cBus(),
      openGpio: async () => new FakeGpio(clock),
      wait: async () => {},
    });
    expect(found.missing.map((m) => m.device)).to.deep.equal([DEVICE_NAMES.stepGrid, DEVICE_NAMES.tapPad]);
    expect(log.count('warn', 'NeoTrellis step grid (seesaw at 0x2E) not available: no answer on the I2C bus')).to.equal(
      1,
    );
    await found.close();
  });
});
