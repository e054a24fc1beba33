import type { Seconds } from '../../time/clock.js';
import type { I2cBus } from './bus.js';
import { hex } from './bus.js';

/** A chip on the fake bus: it sees exactly the bytes a real chip would. */
export interface FakeI2cDevice {
  /** One write transaction's bytes. Throwing here makes the bus transaction fail. */
  onWrite(bytes: Uint8Array): void;
  /** One read transaction of `length` bytes. */
  onRead(length: number): Uint8Array;
}

export interface I2cTransaction {
  address: number;
  op: 'write' | 'read';
  bytes: Uint8Array;
}

/**
 * A test instrument that stands in for /dev/i2c-1: chips are attached by
 * address; every transaction is recorded; failures can be injected.
 * An address with nothing attached fails with ENXIO, as an unacknowledged
 * address does on Linux.
 */
export class FakeI2cBus implements I2cBus {
  readonly traffic: I2cTransaction[] = [];
  #devices = new Map<number, FakeI2cDevice>();
  #failures = new Map<number, { code: string; remaining: number }>();
  #closed = false;

  attach(address: number, device: FakeI2cDevice): this {
    this.#devices.set(address, device);
    return this;
  }

  detach(address: number): this {
    this.#devices.delete(address);
    return this;
  }

  /** The next `count` transactions to `address` fail with `code` (EIO, ENXIO, ETIMEDOUT...). Infinity = until cleared. */
  failNext(address: number, code: string, count = 1): this {
    this.#failures.set(address, { code, remaining: count });
    return this;
  }

  clearFailures(): this {
    this.#failures.clear();
    return this;
  }

  /** Bytes of the last write to `address` (or to any address). */
  lastWrite(address?: number): Uint8Array | undefined {
    for (let i = this.traffic.length - 1; i >= 0; i--) {
      const t = this.traffic[i];
      if (t.op === 'write' && (address === undefined || t.address === address)) return t.bytes;
    }
    return undefined;
  }

  writes(address?: number): Uint8Array[] {
    return this.traffic
      .filter((t) => t.op === 'write' && (address === undefined || t.address === address))
      .map((t) => t.bytes);
  }

  reset(): void {
    this.traffic.length = 0;
    this.#failures.clear();
  }

  get closed(): boolean {
    return this.#closed;
  }

  async write(address: number, bytes: Uint8Array): Promise<void> {
    const device = this.#begin(address);
    const copy = Uint8Array.from(bytes);
    this.traffic.push({ address, op: 'write', bytes: copy });
    device.onWrite(copy);
  }

  async read(address: number, length: number): Promise<Uint8Array> {
    const device = this.#begin(address);
    const bytes = Uint8Array.from(device.onRead(length));
    if (bytes.length !== length)
      throw new Error(`fake chip at ${hex(address)} answered ${bytes.length} bytes to a ${length}-byte read`);
    this.traffic.push({ address, op: 'read', bytes });
    return bytes;
  }

  async transfer(address: number, bytes: Uint8Array, readLength: number, _gap?: Seconds): Promise<Uint8Array> {
    await this.write(address, bytes);
    return this.read(address, readLength);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #begin(address: number): FakeI2cDevice {
    // Misusing the contract is a bug in the driver under test: say so loudly.
    if (this.#closed) throw new Error('FakeI2cBus: transaction after close()');
    if (!Number.isInteger(address) || address < 0x03 || address > 0x77)
      throw new RangeError(`FakeI2cBus: address ${address} is not a 7-bit I2C address`);
    const failure = this.#failures.get(address);
    if (failure && failure.remaining > 0) {
      failure.remaining--;
      throw Object.assign(new Error(`${failure.code}: injected I2C failure at ${hex(address)}`), {
        code: failure.code,
      });
    }
    const device = this.#devices.get(address);
    if (!device) throw Object.assign(new Error(`ENXIO: no device at ${hex(address)}`), { code: 'ENXIO' });
    return device;
  }
}
