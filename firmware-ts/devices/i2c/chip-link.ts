import type { Seconds } from '../../time/clock.js';
import type { I2cBus } from './bus.js';

/** One chip's transactions on the bus, without the queue (only inside `ChipLink.exclusive`). */
export interface ChipIo {
  write(bytes: Uint8Array): Promise<void>;
  read(length: number): Promise<Uint8Array>;
  transfer(bytes: Uint8Array, readLength: number, gap?: Seconds): Promise<Uint8Array>;
}

/**
 * The way to one chip: its address on the bus and a queue, so the chip's
 * transactions run one at a time. Reading a register is two transactions
 * (select it, then read), so a write that lands between them from another
 * task (a pixel frame during a keypad poll) makes the read answer the wrong
 * register. Every transaction a driver makes goes through its link.
 */
export class ChipLink {
  readonly bus: I2cBus;
  readonly address: number;
  readonly #io: ChipIo;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(bus: I2cBus, address: number) {
    this.bus = bus;
    this.address = address;
    this.#io = {
      write: (bytes) => bus.write(address, bytes),
      read: (length) => bus.read(address, length),
      transfer: (bytes, readLength, gap) => bus.transfer(address, bytes, readLength, gap),
    };
  }

  /** Runs `task` with the chip to itself: nothing else queued on this link starts until it settles. */
  exclusive<T>(task: (io: ChipIo) => Promise<T>): Promise<T> {
    const result = this.#tail.then(() => task(this.#io));
    this.#tail = result.catch(() => {});
    return result;
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.exclusive((io) => io.write(bytes));
  }

  read(length: number): Promise<Uint8Array> {
    return this.exclusive((io) => io.read(length));
  }

  /** Select, wait `gap`, read: one unit, never split by another task's transaction. */
  transfer(bytes: Uint8Array, readLength: number, gap?: Seconds): Promise<Uint8Array> {
    return this.exclusive((io) => io.transfer(bytes, readLength, gap));
  }
}
