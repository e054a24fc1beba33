import type { Clock } from '../time/clock.js';
import { ADS1115_READY_EDGE } from './ads1115/ads1115.js';
import { Ads1115TapPad } from './tap-pad/ads1115-tap-pad.js';
import type { OnsetOptions } from './tap-pad/onset-detector.js';
import { DEFAULT_BUTTON_PINS, GpioButtons } from './buttons/gpio-buttons.js';
import { DEFAULT_ENCODER_PINS, RotaryEncoder } from './buttons/rotary-encoder.js';
import { DeviceMissingError } from './errors.js';
import type { Edge, Gpio, GpioInput } from './gpio/gpio.js';
import { openOnoffGpio } from './gpio/onoff-gpio.js';
import type { I2cBus } from './i2c/bus.js';
import { openI2cBus } from './i2c/i2c-bus-driver.js';
import type { Buttons, StepGrid, TapPad, TempoControl } from './interfaces.js';
import type { DeviceLog } from './log.js';
import { consoleLog } from './log.js';
import { NeoTrellisGrid } from './neotrellis/neotrellis-grid.js';

/** BCM lines of the two interrupt-style signals (see hardware/wiring.md). */
export const DEFAULT_SIGNAL_PINS = { gridInterrupt: 17, padReady: 27 } as const;

export interface DiscoveryOptions {
  clock: Clock;
  log?: DeviceLog;
  /** How to get the I2C bus (default: /dev/i2c-1 via i2c-bus). Tests pass a fake. */
  openI2c?: () => Promise<I2cBus>;
  /** How to get GPIO (default: sysfs via onoff). Tests pass a fake. */
  openGpio?: () => Promise<Gpio>;
  onset?: Partial<OnsetOptions>;
  /** Passed to drivers that wait for a chip after reset; tests pass an instant one. */
  wait?: (seconds: number) => Promise<void>;
}

export interface MissingDevice {
  device: string;
  reason: string;
}

/** What was found. A null device is missing and listed in `missing`; the box substitutes a simulated one. */
export interface FoundDevices {
  stepGrid: StepGrid | null;
  tapPad: TapPad | null;
  buttons: Buttons | null;
  tempo: TempoControl | null;
  missing: MissingDevice[];
  close(): Promise<void>;
}

/**
 * Opens every panel device it can. A device that is absent (no bus, no chip
 * answering, no sysfs GPIO, a native module that will not load) is named in
 * one log line and in `missing`; the others carry on. Never throws.
 */
export async function discoverDevices(options: DiscoveryOptions): Promise<FoundDevices> {
  const log = options.log ?? consoleLog('groovebox:devices');
  const missing: MissingDevice[] = [];
  const closers: (() => Promise<void>)[] = [];
  const attempt = async <T>(device: string, open: () => Promise<T>): Promise<T | null> => {
    try {
      return await open();
    } catch (err) {
      const reason = err instanceof DeviceMissingError ? err.reason : (err as Error)?.message ?? String(err);
      const name = err instanceof DeviceMissingError ? err.device : device;
      missing.push({ device: name, reason });
      log.warn(`${name} not available: ${reason}; carrying on without it`);
      return null;
    }
  };

  const gpio = await attempt('gpio', options.openGpio ?? (() => openOnoffGpio({ clock: options.clock })));
  if (gpio) closers.push(() => gpio.close());
  const signal = async (bcm: number, label: string, edge: Edge): Promise<GpioInput | undefined> =>
    gpio ? ((await attempt(label, () => gpio.input(bcm, { edge, label }))) ?? undefined) : undefined;

  const bus = await attempt('i2c bus', options.openI2c ?? (() => openI2cBus(1)));
  let stepGrid: NeoTrellisGrid | null = null;
  let tapPad: Ads1115TapPad | null = null;
  if (bus) {
    closers.push(() => bus.close());
    // INT stays low while key events wait, so onoff still reads it low when the falling edge's callback runs.
    const gridInt = await signal(DEFAULT_SIGNAL_PINS.gridInterrupt, 'NeoTrellis INT', 'falling');
    stepGrid = await attempt('NeoTrellis step grid', () => NeoTrellisGrid.open({ bus, clock: options.clock, interrupt: gridInt, wait: options.wait }));
    if (stepGrid) stepGrid.start();
    const padReady = await signal(DEFAULT_SIGNAL_PINS.padReady, 'ADS1115 ALERT/RDY', ADS1115_READY_EDGE);
    tapPad = await attempt('ADS1115 tap pad', () => Ads1115TapPad.open({ bus, clock: options.clock, ready: padReady, onset: options.onset }));
  } else {
    missing.push({ device: 'NeoTrellis step grid', reason: 'no I2C bus' }, { device: 'ADS1115 tap pad', reason: 'no I2C bus' });
  }
  const buttons = gpio ? await attempt('function buttons', () => GpioButtons.open({ gpio, clock: options.clock, pins: DEFAULT_BUTTON_PINS })) : null;
  const tempo = gpio ? await attempt('tempo encoder', () => RotaryEncoder.open({ gpio, pins: DEFAULT_ENCODER_PINS })) : null;
  if (!gpio) missing.push({ device: 'function buttons', reason: 'no GPIO' }, { device: 'tempo encoder', reason: 'no GPIO' });

  return {
    stepGrid,
    tapPad,
    buttons,
    tempo,
    missing,
    async close() {
      // Devices first, then the bus and GPIO they sit on.
      for (const device of [stepGrid, tapPad, buttons, tempo]) await device?.close().catch(() => {});
      for (const close of closers.reverse()) await close().catch(() => {});
    },
  };
}
