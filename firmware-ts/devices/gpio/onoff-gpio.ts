import { existsSync } from 'node:fs';
import type { Clock, Seconds } from '../../time/clock.js';
import { DeviceMissingError } from '../errors.js';
import type { Unsubscribe } from '../interfaces.js';
import { Listeners } from '../../support/listeners.js';
import { namespacedLog, type DeviceLog } from '../../support/log.js';
import type { Gpio, GpioInput, InputOptions, Level } from './gpio.js';
import { checkBcm } from './gpio.js';
import { sysfsNumberForBcm } from './sysfs-number.js';

/** The slice of onoff's Gpio class we use (the package ships its own .d.ts; we load it lazily). */
interface OnoffPin {
  readSync(): 0 | 1;
  watch(callback: (err: Error | null | undefined, value: 0 | 1) => void): void;
  unwatchAll(): void;
  unexport(): void;
}
type OnoffGpioClass = new (gpio: number, direction: 'in', edge: string, options: { activeLow?: boolean }) => OnoffPin;

export interface OnoffGpioOptions {
  clock: Clock;
  log?: DeviceLog;
  sysfsRoot?: string;
}

/**
 * GPIO over sysfs via `onoff`. Throws DeviceMissingError when sysfs GPIO or
 * the native module is missing, so the caller can name it and carry on.
 * Pull-ups are not settable through sysfs: config.txt sets them (see hardware/).
 */
export async function openOnoffGpio(options: OnoffGpioOptions): Promise<Gpio> {
  const root = options.sysfsRoot ?? '/sys/class/gpio';
  if (!existsSync(root)) throw new DeviceMissingError('gpio', `${root} does not exist`);
  let GpioClass: OnoffGpioClass;
  try {
    const name = 'onoff';
    const imported = await import(name);
    GpioClass = (imported.Gpio ?? imported.default?.Gpio) as OnoffGpioClass;
    if (typeof GpioClass !== 'function') throw new Error('module has no Gpio export');
  } catch (err) {
    throw new DeviceMissingError('gpio', `the native module onoff failed to load (${(err as Error).message})`);
  }
  return new OnoffGpio(GpioClass, root, options.clock, options.log ?? namespacedLog('groovebox:gpio'));
}

class OnoffGpio implements Gpio {
  #pins: OnoffInput[] = [];

  constructor(
    readonly GpioClass: OnoffGpioClass,
    readonly root: string,
    readonly clock: Clock,
    readonly log: DeviceLog,
  ) {}

  async input(bcm: number, options: InputOptions): Promise<GpioInput> {
    checkBcm(bcm, options.label);
    const number = sysfsNumberForBcm(bcm, this.root, options.label);
    let pin: OnoffPin;
    try {
      pin = new this.GpioClass(number, 'in', options.edge, { activeLow: options.activeLow ?? false });
    } catch (err) {
      throw new DeviceMissingError(
        options.label,
        `cannot export BCM ${bcm} (sysfs ${number}): ${(err as Error).message}`,
      );
    }
    const input = new OnoffInput(bcm, options.label, pin, this.clock, this.log);
    this.#pins.push(input);
    return input;
  }

  async close(): Promise<void> {
    for (const pin of this.#pins) pin.close();
    this.#pins = [];
  }
}

class OnoffInput implements GpioInput {
  #listeners = new Listeners<[Level, Seconds]>();
  #closed = false;
  #errorLogged = false;

  constructor(
    readonly bcm: number,
    readonly label: string,
    readonly pin: OnoffPin,
    readonly clock: Clock,
    readonly log: DeviceLog,
  ) {
    pin.watch((err, value) => {
      if (err) {
        if (!this.#errorLogged) log.warn(`${label} (BCM ${bcm}): watch error ${err.message} (logged once)`);
        this.#errorLogged = true;
        return;
      }
      // The time is taken here because onoff's epoll callback carries none.
      this.#listeners.emit(value, clock.now());
    });
  }

  read(): Level {
    return this.pin.readSync();
  }

  onEdge(listener: (level: Level, time: Seconds) => void): Unsubscribe {
    return this.#listeners.add(listener);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.pin.unwatchAll();
    this.pin.unexport();
    this.#listeners.clear();
  }
}
