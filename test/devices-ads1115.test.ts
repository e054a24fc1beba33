import { expect } from 'chai';
import { Ads1115, ADS1115_READY_EDGE, Ads1115Sampler } from '../firmware-ts/devices/ads1115/ads1115.js';
import { FakeAds1115 } from '../firmware-ts/devices/ads1115/fake-ads1115.js';
import { FakeGpio, FakeGpioPin } from '../firmware-ts/devices/gpio/fake-gpio.js';
import { FakeI2cBus } from '../firmware-ts/devices/i2c/fake-bus.js';
import { namespacedLog } from '../firmware-ts/support/log.js';
import { MemoryLog, type LogMessage } from '../firmware-ts/support/log.js';
import { Ads1115TapPad } from '../firmware-ts/devices/tap-pad/ads1115-tap-pad.js';
import type { TapHit } from '../firmware-ts/devices/interfaces.js';
import { OfflineClock } from '../firmware-ts/time/clock.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const PERIOD = 1 / 860;

async function rig() {
  const clock = new OfflineClock();
  const bus = new FakeI2cBus();
  const gpio = new FakeGpio(clock);
  const ready = (await gpio.input(27, { edge: ADS1115_READY_EDGE, label: 'ADS1115 ALERT/RDY' })) as FakeGpioPin;
  const chip = new FakeAds1115(clock, ready);
  bus.attach(0x48, chip);
  const log = new MemoryLog();
  return { clock, bus, gpio, ready, chip, log };
}

/** A rig with the ADC opened and a sampler on it (not started): on the RDY line, or `polled` without it. */
async function samplerRig(options: { polled?: boolean } = {}) {
  const r = await rig();
  const adc = await Ads1115.open({ bus: r.bus });
  const sampler = new Ads1115Sampler({ adc, clock: r.clock, ready: options.polled ? undefined : r.ready, log: r.log });
  return { ...r, adc, sampler };
}

/** Runs the chip's conversions at 860 SPS up to `until`, letting each read finish. */
async function run(clock: OfflineClock, chip: FakeAds1115, until: number): Promise<void> {
  while (clock.now() + PERIOD <= until) {
    clock.advance(PERIOD);
    chip.convert();
    await settle();
  }
}

describe('devices: ADS1115', () => {
  it('writes the RDY thresholds and then the config (AIN0, +-4.096 V, continuous, 860 SPS), byte for byte', async () => {
    const { bus, chip } = await rig();
    await Ads1115.open({ bus });
    expect(bus.writes(0x48).map((w) => [...w])).to.deep.equal([
      [0x02, 0x00, 0x00],
      [0x03, 0x80, 0x00],
      [0x01, 0x42, 0xe0],
      [0x01],
      [0x00],
    ]);
    expect(chip.continuous).to.equal(true);
    expect(chip.samplesPerSecond).to.equal(860);
    expect(chip.readyMode).to.equal(true);
  });

  it('reads conversions as signed big-endian 16-bit without re-sending the pointer', async () => {
    const { bus, chip, clock } = await rig();
    const adc = await Ads1115.open({ bus });
    chip.stick(-2);
    chip.convert();
    bus.reset();
    expect(await adc.readConversion()).to.equal(-2);
    chip.stick(0x1234);
    chip.convert();
    expect(await adc.readConversion()).to.equal(0x1234);
    expect(bus.traffic.map((t) => t.op)).to.deep.equal(['read', 'read']);
    expect([...bus.traffic[0].bytes]).to.deep.equal([0xff, 0xfe]);
    void clock;
  });

  it('re-selects the conversion register after a bus error', async () => {
    const { bus } = await rig();
    const adc = await Ads1115.open({ bus });
    bus.failNext(0x48, 'EIO');
    await adc.readConversion().then(
      () => expect.fail('should throw'),
      (err) => expect(err.code).to.equal('EIO'),
    );
    bus.reset();
    await adc.readConversion();
    expect(bus.traffic.map((t) => [t.op, t.bytes.length])).to.deep.equal([
      ['write', 1],
      ['read', 2],
    ]);
  });

  it('rejects a chip that does not take the config, naming it', async () => {
    const { bus, chip } = await rig();
    chip.onWrite = () => {}; // a chip that acknowledges but ignores writes
    try {
      await Ads1115.open({ bus });
      expect.fail('should throw');
    } catch (err) {
      expect((err as Error).message).to.match(/ADS1115.*0x48.*wrote 0x42E0: not an ADS1115/);
    }
  });

  it('stamps each sample with its ready edge, and counts overruns instead of queueing', async () => {
    const { chip, clock, sampler } = await samplerRig();
    const times: number[] = [];
    sampler.onSample((s) => times.push(s.time));
    sampler.start();
    clock.advanceTo(0.5);
    chip.convert();
    clock.advanceTo(0.501);
    chip.convert(); // the previous read has not finished: overrun
    await settle();
    expect(times).to.deep.equal([0.5]);
    expect(sampler.overruns).to.equal(1);
  });

  it('reads a conversion on every RDY edge onoff delivers, whatever level it read after the pulse', async () => {
    const { chip, clock, ready, sampler } = await samplerRig();
    sampler.start();
    await run(clock, chip, 0.1);
    // onoff reads the idle high after the 8 us low pulse: that is the edge it passes on.
    expect(ready.edge).to.equal('rising');
    expect(chip.conversions).to.be.greaterThan(80);
    expect(sampler.samples).to.equal(chip.conversions);
    sampler.stop();
  });

  it('backs off on read errors and logs once, not once per sample', async () => {
    const { bus, chip, clock, log, sampler } = await samplerRig();
    sampler.start();
    bus.failNext(0x48, 'ETIMEDOUT', Infinity);
    await run(clock, chip, 1);
    const attempts = bus.traffic.filter((t) => t.op === 'read').length;
    expect(log.count('warn', 'ETIMEDOUT')).to.equal(1);
    expect(sampler.samples).to.equal(0);
    expect(chip.conversions).to.be.greaterThan(800);
    bus.clearFailures();
    await run(clock, chip, 4);
    expect(sampler.samples).to.be.greaterThan(800);
    expect(log.count('info'), 'quiet until it has run cleanly for a while').to.equal(0);
    await run(clock, chip, 8);
    expect(log.count('info', 'running cleanly again')).to.equal(1);
    void attempts;
  });

  it('a read never lands between a config check and its read: the conversion comes back, not the config', async () => {
    const { bus, chip } = await rig();
    const adc = await Ads1115.open({ bus });
    chip.stick(1234);
    chip.convert();
    bus.failNext(0x48, 'EIO'); // the pointer is unknown after a bus error: the next read selects it again
    await adc.readConversion().catch(() => {});
    const [raw, reconfigured] = await Promise.all([adc.readConversion(), adc.ensureConfigured()]);
    expect(raw).to.equal(1234);
    expect(reconfigured).to.equal(false);
  });

  it('with ALERT/RDY wired, a power cycle (pulses stop) is noticed within 50 ms and the chip configured again', async () => {
    const { bus, chip, clock, log, sampler } = await samplerRig();
    sampler.start();
    await run(clock, chip, 0.5);
    // The cable comes loose for 0.2 s: no answers, no conversions; the chip comes back with power-on registers.
    bus.failNext(0x48, 'EIO', Infinity);
    for (const end = clock.now() + 0.2; clock.now() < end;) {
      clock.advance(0.005);
      await settle();
    }
    chip.powerCycle();
    bus.clearFailures();
    expect(chip.convert(), 'a reset chip is single-shot: it converts nothing').to.equal(false);
    await run(clock, chip, 1.5);
    expect(chip.continuous).to.equal(true);
    expect(chip.readyMode).to.equal(true);
    const before = sampler.samples;
    await run(clock, chip, 2);
    expect(sampler.samples - before).to.be.greaterThan(400);
    expect(log.count('warn', 'EIO')).to.equal(1);
    expect(log.count('info', 'configured it again')).to.equal(1);
    sampler.stop();
    expect(clock.pendingTimers()).to.equal(0);
  });

  it('with ALERT/RDY wired, a chip reset between two reads (no bus error at all) is configured again too', async () => {
    const { chip, clock, sampler } = await samplerRig();
    sampler.start();
    await run(clock, chip, 0.3);
    chip.powerCycle();
    await run(clock, chip, 0.4);
    expect(chip.continuous).to.equal(true);
    const before = sampler.samples;
    await run(clock, chip, 0.5);
    expect(sampler.samples - before).to.be.greaterThan(80);
    sampler.stop();
  });

  it('polled (no RDY wire): the first read after bus errors puts a lost configuration back', async () => {
    const { bus, chip, clock, log, sampler } = await samplerRig({ polled: true });
    sampler.start();
    await run(clock, chip, 0.3);
    bus.failNext(0x48, 'EIO', Infinity);
    await run(clock, chip, 0.4);
    chip.powerCycle();
    bus.clearFailures();
    await run(clock, chip, 3);
    expect(chip.continuous).to.equal(true);
    expect(log.count('info', 'configured it again')).to.equal(1);
    sampler.stop();
  });

  it('polled (no RDY wire): a chip reset between two reads (no bus error) is configured again within a second', async () => {
    const { chip, clock, log, sampler } = await samplerRig({ polled: true });
    const raws: number[] = [];
    sampler.onSample((s) => raws.push(s.raw));
    sampler.start();
    chip.noise(0.01);
    await run(clock, chip, 0.3);
    chip.powerCycle();
    await run(clock, chip, 1.5);
    expect(chip.continuous).to.equal(true);
    expect(log.count('info', 'read by polling and its configuration was gone')).to.equal(1);
    const last = raws.slice(-100);
    expect(new Set(last).size, 'conversions move again, not one stale value').to.be.greaterThan(10);
    sampler.stop();
  });

  it('configured but RDY silent (a loose RDY wire): one warning naming the line, then it reads by polling and stays there', async () => {
    const { chip, clock, ready, log, sampler } = await samplerRig();
    sampler.start();
    await run(clock, chip, 0.3);
    const beforeCut = sampler.samples;
    chip.cutReady();
    // Step until the watchdog gives up on RDY (two silent checks: ~150 ms), and not one poll further.
    while (log.count('warn', 'reading by polling instead') === 0 && clock.now() < 1) {
      clock.advance(PERIOD);
      chip.convert();
      await settle();
    }
    expect(clock.now() - 0.3).to.be.within(0.1, 0.2);
    expect(sampler.samples, 'nothing read while RDY was silent').to.equal(beforeCut);
    expect(log.lines.find((l) => l.level === 'warn')?.message).to.match(
      /ALERT\/RDY silent on BCM 27: reading by polling instead \(check the wire to ADS1115 ALERT\/RDY/,
    );
    expect(sampler.trouble()).to.equal('tap pad: no ALERT/RDY pulses, check the wire to BCM 27');
    await run(clock, chip, clock.now() + 0.01);
    expect(sampler.trouble(), 'samples flow again').to.equal(null);
    let polled = sampler.samples;
    await run(clock, chip, clock.now() + 1);
    expect(sampler.samples - polled, 'polled at the 860/s the chip converts').to.be.within(400, 860);
    chip.wireReady(ready); // the wire is pushed back: it stays on polling, no edge reads on top of the polls
    polled = sampler.samples;
    await run(clock, chip, clock.now() + 1);
    expect(sampler.samples - polled).to.be.within(400, 860);
    expect(sampler.overruns).to.equal(0);
    expect(log.count('warn')).to.equal(1);
    expect(sampler.trouble()).to.equal(null);
    sampler.stop();
    expect(clock.pendingTimers()).to.equal(0);
  });

  it('RDY wire cut from the start: the tap pad still hears a stroke, read by polling once the watchdog judges RDY silent', async () => {
    const { bus, chip, clock, ready, log } = await rig();
    chip.cutReady();
    const pad = await Ads1115TapPad.open({ bus, clock, ready, log });
    const hits: TapHit[] = [];
    pad.onHit((h) => hits.push(h));
    chip.hit(0.8, 0.5);
    await run(clock, chip, 1);
    expect(hits, 'the stroke is heard').to.have.length(1);
    expect(hits[0].time).to.be.closeTo(0.5, 0.005);
    expect(log.count('warn', 'ALERT/RDY silent on BCM 27: reading by polling instead')).to.equal(1);
    expect(pad.trouble()).to.equal(null);
    await pad.close();
  });

  it('a shorted or stuck input gives no phantom taps and one warning', async () => {
    const { bus, chip, clock, ready, log } = await rig();
    const pad = await Ads1115TapPad.open({ bus, clock, ready, log });
    const hits: TapHit[] = [];
    pad.onHit((h) => hits.push(h));
    chip.stick(20000);
    await run(clock, chip, 3);
    expect(hits.length).to.be.at.most(1);
    expect(log.count('warn', 'check the piezo wiring')).to.equal(1);
    await pad.close();
  });

  it('turns piezo strokes on the fake chip into hits with sample time and velocity from the peak', async () => {
    const { bus, chip, clock, ready, log } = await rig();
    const pad = await Ads1115TapPad.open({ bus, clock, ready, log });
    const hits: TapHit[] = [];
    pad.onHit((h) => hits.push(h));
    chip.hit(0.9, 0.5).hit(0.3, 0.75).hit(0.6, 1.0);
    await run(clock, chip, 1.3);
    expect(hits).to.have.length(3);
    hits.forEach((h, i) => expect(h.time).to.be.closeTo([0.5, 0.75, 1.0][i], 0.0025));
    expect(hits[0].velocity).to.be.greaterThan(hits[2].velocity);
    expect(hits[2].velocity).to.be.greaterThan(hits[1].velocity);
    await pad.close();
  });
  it('logs each stroke at debug level with its peak and velocity, for bring-up (GROOVEBOX_DEBUG=groovebox:tap-pad)', async () => {
    const { bus, chip, clock, ready, log } = await rig();
    const pad = await Ads1115TapPad.open({ bus, clock, ready, log });
    const hits: TapHit[] = [];
    pad.onHit((h) => hits.push(h));
    chip.hit(0.9, 0.5).hit(0.3, 0.75);
    await run(clock, chip, 1.0);
    const taps = log.lines.filter((l) => l.level === 'debug' && l.message.startsWith('tap:')).map((l) => l.message);
    expect(taps).to.have.length(2);
    taps.forEach((line, i) =>
      expect(line).to.match(
        new RegExp(`^tap: peak \\d+% of full scale \\(\\d\\.\\d\\d V\\), velocity ${hits[i].velocity.toFixed(2)}$`),
      ),
    );
    const volts = taps.map((line) => Number(/\((\d\.\d\d) V\)/.exec(line)![1]));
    expect(volts[0], 'the louder stroke peaks higher').to.be.greaterThan(volts[1]);
    await pad.close();
  });

  it('with debug lines off, a stroke formats no log line at all', async () => {
    const { bus, chip, clock, ready } = await rig();
    const saved = process.env.GROOVEBOX_DEBUG;
    delete process.env.GROOVEBOX_DEBUG;
    const written: string[] = [];
    const boxLog = namespacedLog('groovebox:tap-pad', { out: (l) => written.push(l), err: (l) => written.push(l) });
    let formatted = 0;
    const counting = {
      ...boxLog,
      debug: (m: LogMessage) =>
        boxLog.debug(
          typeof m === 'function'
            ? () => {
                formatted++;
                return m();
              }
            : m,
        ),
    };
    try {
      const pad = await Ads1115TapPad.open({ bus, clock, ready, log: counting });
      const hits: TapHit[] = [];
      pad.onHit((h) => hits.push(h));
      chip.hit(0.9, 0.5);
      await run(clock, chip, 0.8);
      expect(hits).to.have.length(1);
      expect(formatted).to.equal(0);
      expect(written).to.deep.equal([]);
      process.env.GROOVEBOX_DEBUG = 'groovebox:tap-pad';
      chip.hit(0.9, 1.0);
      await run(clock, chip, 1.3);
      expect(formatted).to.equal(1);
      expect(written).to.have.length(1);
      expect(written[0]).to.match(/^groovebox:tap-pad tap: peak /);
      await pad.close();
    } finally {
      if (saved === undefined) delete process.env.GROOVEBOX_DEBUG;
      else process.env.GROOVEBOX_DEBUG = saved;
    }
  });
});
