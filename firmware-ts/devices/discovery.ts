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
import { namespacedLog, type DeviceLog } from '../support/log.js';
import { NeoTrellisGrid } from './neotrellis/neotrellis-grid.js';

/** BCM lines of the two interrupt-style signals (see hardware/wiring.md). */
export const DEFAULT_SIGNAL_PINS = { gridInterrupt: 17, padReady: 27 } as const;

export interface DiscoveryOptions {
  clock: Clock;
  /** Discovery's own lines: one per missing device. */
  log?: DeviceLog;
  /**
   * Each driver's log by name ('gpio', 'neotrellis', 'tap-pad'). The box passes
   * its LogFactory, so driver lines keep its stdout/stderr split and answer to
   * GROOVEBOX_DEBUG=groovebox:<name>. Without it the drivers write to `log`.
   */
  driverLogs?: (name: string) => DeviceLog;
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
 * The names a missing device is logged under, the same whatever the cause: the
 * drivers name a chip that does not answer this way too (DeviceMissingError).
 */
export const DEVICE_NAMES = {
  stepGrid: 'NeoTrellis step grid (seesaw at 0x2E)',
  tapPad: 'ADS1115 tap pad ADC (0x48)',
  buttons: 'function buttons',
  tempo: 'tempo encoder',
} as const;

function reasonOf(err: unknown): string {
  return err instanceof DeviceMissingError ? err.reason : ((err as Error)?.message ?? String(err));
}

/**
 * Opens every panel device it can. Each absent device (no I2C bus, no chip
 * answering at its address, no GPIO, a native module that will not load) gets
 * exactly one log line naming it and why, and an entry in `missing`; the
 * others carry on. The bus and GPIO get no line of their own: their absence is
 * the reason on the line of each device that needs them. Never throws.
 */
export async function discoverDevices(options: DiscoveryOptions): Promise<FoundDevices> {
  const log = options.log ?? namespacedLog('groovebox:devices');
  const driverLog =
    options.driverLogs ?? (options.log ? () => log : (name: string) => namespacedLog(`groovebox:${name}`));
  const missing: MissingDevice[] = [];
  const closers: (() => Promise<void>)[] = [];
  const report = (device: string, reason: string): void => {
    missing.push({ device, reason });
    log.warn(`${device} not available: ${reason}; carrying on without it`);
  };
  const attempt = async <T>(device: string, open: () => Promise<T>): Promise<T | null> => {
    try {
      return await open();
    } catch (err) {
      report(err instanceof DeviceMissingError ? err.device : device, reasonOf(err));
      return null;
    }
  };
  /** The bus or GPIO, or why not (said on each device's line, not on one of its own). */
  const openShared = async <T>(open: () => Promise<T>): Promise<{ handle: T | null; absence: string }> => {
    try {
      return { handle: await open(), absence: '' };
    } catch (err) {
      return { handle: null, absence: reasonOf(err) };
    }
  };

  const gpioOpened = await openShared(
    options.openGpio ?? (() => openOnoffGpio({ clock: options.clock, log: driverLog('gpio') })),
  );
  const gpio = gpioOpened.handle;
  if (gpio) closers.push(() => gpio.close());
  const signal = async (bcm: number, label: string, edge: Edge): Promise<GpioInput | undefined> =>
    gpio ? ((await attempt(label, () => gpio.input(bcm, { edge, label }))) ?? undefined) : undefined;

  const busOpened = await openShared(options.openI2c ?? (() => openI2cBus(1)));
  const bus = busOpened.handle;
  let stepGrid: NeoTrellisGrid | null = null;
  let tapPad: Ads1115TapPad | null = null;
  if (bus) {
    closers.push(() => bus.close());
    // INT stays low while key events wait, so onoff still reads it low when the falling edge's callback runs.
    const gridInt = await signal(DEFAULT_SIGNAL_PINS.gridInterrupt, 'NeoTrellis INT', 'falling');
    stepGrid = await attempt(DEVICE_NAMES.stepGrid, () =>
      NeoTrellisGrid.open({
        bus,
        clock: options.clock,
        interrupt: gridInt,
        wait: options.wait,
        log: driverLog('neotrellis'),
      }),
    );
    if (stepGrid) stepGrid.start();
    const padReady = await signal(DEFAULT_SIGNAL_PINS.padReady, 'ADS1115 ALERT/RDY', ADS1115_READY_EDGE);
    tapPad = await attempt(DEVICE_NAMES.tapPad, () =>
      Ads1115TapPad.open({
        bus,
        clock: options.clock,
        ready: padReady,
        onset: options.onset,
        log: driverLog('tap-pad'),
      }),
    );
  } else {
    report(DEVICE_NAMES.stepGrid, `no I2C bus: ${busOpened.absence}`);
    report(DEVICE_NAMES.tapPad, `no I2C bus: ${busOpened.absence}`);
  }
  let buttons: GpioButtons | null = null;
  let tempo: RotaryEncoder | null = null;
  if (gpio) {
    buttons = await attempt(DEVICE_NAMES.buttons, () =>
      GpioButtons.open({ gpio, clock: options.clock, pins: DEFAULT_BUTTON_PINS }),
    );
    tempo = await attempt(DEVICE_NAMES.tempo, () => RotaryEncoder.open({ gpio, pins: DEFAULT_ENCODER_PINS }));
  } else {
    report(DEVICE_NAMES.buttons, `no GPIO: ${gpioOpened.absence}`);
    report(DEVICE_NAMES.tempo, `no GPIO: ${gpioOpened.absence}`);
  }

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
