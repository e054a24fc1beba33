/**
 * A device that is not there: no /dev/i2c-1, no chip at its address, no
 * /sys/class/gpio, a native module that does not load. The box reports it by
 * name and carries on with the other devices (or a simulated one).
 */
export class DeviceMissingError extends Error {
  override name = 'DeviceMissingError';
  readonly missing = true;

  constructor(
    readonly device: string,
    readonly reason: string,
  ) {
    super(`${device} not available: ${reason}`);
  }
}
