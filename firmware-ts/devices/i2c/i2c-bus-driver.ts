import { existsSync } from 'node:fs';
import type { Seconds } from '../../time/clock.js';
import { DeviceMissingError } from '../errors.js';
import type { I2cBus } from './bus.js';

/** The parts of the `i2c-bus` package's promisified bus we use. */
interface PromisifiedBus {
  i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number }>;
  i2cRead(address: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  close(): Promise<void>;
}

/**
 * Opens /dev/i2c-<n> through the native `i2c-bus` module. The module is loaded
 * here, lazily, so a machine without it (a laptop, CI) still runs everything else.
 * Throws DeviceMissingError naming the bus when the device node or module is absent.
 */
export async function openI2cBus(busNumber = 1, devicePath = `/dev/i2c-${busNumber}`): Promise<I2cBus> {
  if (!existsSync(devicePath)) {
    throw new DeviceMissingError(
      'i2c bus',
      `${devicePath} does not exist (enable I2C: dtparam=i2c_arm=on in /boot/firmware/config.txt)`,
    );
  }
  let mod: { openPromisified(bus: number): Promise<PromisifiedBus> };
  try {
    const name = 'i2c-bus';
    const imported = await import(name);
    mod = imported.default ?? imported;
  } catch (err) {
    throw new DeviceMissingError('i2c bus', `the native module i2c-bus failed to load (${(err as Error).message})`);
  }
  const bus = await mod.openPromisified(busNumber);
  return new I2cBusDriver(bus);
}

class I2cBusDriver implements I2cBus {
  #bus: PromisifiedBus;

  constructor(bus: PromisifiedBus) {
    this.#bus = bus;
  }

  async write(address: number, bytes: Uint8Array): Promise<void> {
    const { bytesWritten } = await this.#bus.i2cWrite(address, bytes.length, Buffer.from(bytes));
    if (bytesWritten !== bytes.length)
      throw Object.assign(new Error(`short I2C write: ${bytesWritten} of ${bytes.length} bytes`), { code: 'EIO' });
  }

  async read(address: number, length: number): Promise<Uint8Array> {
    const { bytesRead, buffer } = await this.#bus.i2cRead(address, length, Buffer.alloc(length));
    if (bytesRead !== length)
      throw Object.assign(new Error(`short I2C read: ${bytesRead} of ${length} bytes`), { code: 'EIO' });
    return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
  }

  async transfer(address: number, bytes: Uint8Array, readLength: number, gap: Seconds = 0): Promise<Uint8Array> {
    await this.write(address, bytes);
    if (gap > 0) await sleep(gap);
    return this.read(address, readLength);
  }

  close(): Promise<void> {
    return this.#bus.close();
  }
}

/** Sub-millisecond gaps become a 1 ms timer: Node has nothing finer without busy-waiting, and 1 ms is within every seesaw timing. */
export function sleep(seconds: Seconds): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.ceil(seconds * 1000))));
}
