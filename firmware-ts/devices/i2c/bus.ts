import type { Seconds } from '../../time/clock.js';

/**
 * Raw I2C transactions, as the chips see them. Drivers speak in bytes so a
 * fake bus can answer as the chip's registers do and tests can check traffic.
 * Obligations: `write` sends all bytes in one transaction (START..STOP);
 * `read` clocks `length` bytes in one transaction; failures reject with an
 * Error whose `code` is the errno name (EIO, ENXIO, EREMOTEIO, ETIMEDOUT).
 */
export interface I2cBus {
  write(address: number, bytes: Uint8Array): Promise<void>;
  read(address: number, length: number): Promise<Uint8Array>;
  /**
   * Write a register address, wait `gap`, then read. Seesaw chips need the gap
   * (they prepare the answer in firmware); the ADS1115 needs none.
   */
  transfer(address: number, bytes: Uint8Array, readLength: number, gap?: Seconds): Promise<Uint8Array>;
  close(): Promise<void>;
}

export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : ((err as Error)?.message ?? String(err));
}

export function hex(n: number, digits = 2): string {
  return '0x' + n.toString(16).toUpperCase().padStart(digits, '0');
}
