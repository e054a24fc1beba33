import type { FakeGpioPin } from '../gpio/fake-gpio.js';
import type { FakeI2cDevice } from '../i2c/fake-bus.js';
import { hex } from '../i2c/bus.js';
import { GRID_KEYS, type Rgb } from '../interfaces.js';
import * as S from './seesaw.js';

/**
 * A NeoTrellis seesaw at register level: it keeps the keypad subscriptions,
 * the event FIFO, the interrupt enable and the pixel buffer the way the chip
 * does. Test instrument: press(key), release(key), pushRaw(byte), pixel(key),
 * showCount, reset() (a power cycle), wireInterrupt(pin). Writes to registers
 * it does not model throw, so a driver that sends wrong bytes fails its test.
 */
export class FakeSeesaw implements FakeI2cDevice {
  hardwareId = S.HW_ID_SAMD09;
  /** Per seesaw key number: the 4-bit mask of subscribed edges. */
  readonly subscriptions = new Map<number, number>();
  readonly fifo: number[] = [];
  interruptEnabled = false;
  pixelPin = -1;
  pixelSpeed = -1;
  buffer = new Uint8Array(0);
  /** The buffer as of the last SHOW: what the LEDs display. */
  shown = new Uint8Array(0);
  showCount = 0;
  resets = 0;
  /**
   * Strict (the default) throws on what a correct driver never does: pixels
   * past the buffer length, SHOW before the pin is set. Off, such writes are
   * counted and dropped, as a chip that reset behind the driver's back would.
   */
  strict = true;
  ignoredWrites = 0;
  #pointer: [number, number] | null = null;
  #interrupt: FakeGpioPin | null = null;

  /** Connects the INT line to `pin`: driven low while events wait and the interrupt is enabled (open drain, pulled up). */
  wireInterrupt(pin: FakeGpioPin): this {
    this.#interrupt = pin;
    this.#driveInterrupt();
    return this;
  }

  /** The key goes down: queued when the driver subscribed to rising edges for it. */
  press(key: number): void {
    this.#edge(key, S.EDGE_RISING);
  }

  release(key: number): void {
    this.#edge(key, S.EDGE_FALLING);
  }

  /** Queues any raw FIFO byte (e.g. an event for a key the NeoTrellis does not have). */
  pushRaw(byte: number): void {
    this.fifo.push(byte & 0xff);
    this.#driveInterrupt();
  }

  /** What the LED under `key` shows, decoded from GRB. */
  pixel(key: number): Rgb {
    const i = key * 3;
    return { r: this.shown[i + 1] ?? 0, g: this.shown[i] ?? 0, b: this.shown[i + 2] ?? 0 };
  }

  /** The INT line is pulled low while events wait and the interrupt is enabled. */
  get interruptAsserted(): boolean {
    return this.interruptEnabled && this.fifo.length > 0;
  }

  reset(): void {
    this.subscriptions.clear();
    this.fifo.length = 0;
    this.interruptEnabled = false;
    this.pixelPin = -1;
    this.pixelSpeed = -1;
    this.buffer = new Uint8Array(0);
    this.shown = new Uint8Array(0);
    this.showCount = 0;
    this.#pointer = null;
    this.#driveInterrupt();
  }

  onWrite(bytes: Uint8Array): void {
    if (bytes.length < 2)
      throw new Error(`FakeSeesaw: a write needs base and function bytes, got ${bytes.length} byte(s)`);
    const [base, fn] = bytes;
    const data = bytes.subarray(2);
    const where = `${hex(base)}/${hex(fn)}`;
    this.#pointer = [base, fn];
    if (base === S.STATUS_BASE) {
      if (fn === S.STATUS_SWRST) {
        if (data[0] !== S.SWRST_MAGIC)
          throw new Error(`FakeSeesaw: SWRST needs ${hex(S.SWRST_MAGIC)}, got ${hex(data[0] ?? 0)}`);
        this.reset();
        this.resets++;
        return;
      }
      if ((fn === S.STATUS_HW_ID || fn === S.STATUS_VERSION) && data.length === 0) return;
    } else if (base === S.KEYPAD_BASE) {
      if (fn === S.KEYPAD_EVENT && data.length === 2) {
        const [num, state] = data;
        const edges = (state >> 1) & 0x0f;
        const old = this.subscriptions.get(num) ?? 0;
        this.subscriptions.set(num, state & 1 ? old | edges : old & ~edges);
        return;
      }
      if (fn === S.KEYPAD_INTENSET && data.length === 1) {
        if (data[0] & 1) this.interruptEnabled = true;
        this.#driveInterrupt();
        return;
      }
      if (fn === S.KEYPAD_INTENCLR && data.length === 1) {
        if (data[0] & 1) this.interruptEnabled = false;
        this.#driveInterrupt();
        return;
      }
      if ((fn === S.KEYPAD_COUNT || fn === S.KEYPAD_FIFO) && data.length === 0) return;
    } else if (base === S.NEOPIXEL_BASE) {
      if (fn === S.NEOPIXEL_PIN && data.length === 1) {
        this.pixelPin = data[0];
        return;
      }
      if (fn === S.NEOPIXEL_SPEED && data.length === 1) {
        this.pixelSpeed = data[0];
        return;
      }
      if (fn === S.NEOPIXEL_BUF_LENGTH && data.length === 2) {
        this.buffer = new Uint8Array((data[0] << 8) | data[1]);
        return;
      }
      if (fn === S.NEOPIXEL_BUF && data.length >= 2) {
        const offset = (data[0] << 8) | data[1];
        const pixels = data.subarray(2);
        if (offset + pixels.length > this.buffer.length) {
          if (!this.strict) {
            this.ignoredWrites++;
            return;
          }
          throw new Error(
            `FakeSeesaw: pixel write of ${pixels.length} bytes at ${offset} overruns the ${this.buffer.length}-byte buffer (BUF_LENGTH set?)`,
          );
        }
        if (pixels.length > 28)
          throw new Error(
            `FakeSeesaw: ${pixels.length} pixel bytes in one write; the seesaw's 32-byte I2C buffer takes 28`,
          );
        this.buffer.set(pixels, offset);
        return;
      }
      if (fn === S.NEOPIXEL_SHOW && data.length === 0) {
        if (this.pixelPin < 0) {
          if (!this.strict) {
            this.ignoredWrites++;
            return;
          }
          throw new Error('FakeSeesaw: SHOW before the pixel pin was set');
        }
        this.shown = this.buffer.slice();
        this.showCount++;
        return;
      }
    }
    throw new Error(`FakeSeesaw: unexpected write to ${where} with ${data.length} data byte(s)`);
  }

  onRead(length: number): Uint8Array {
    if (!this.#pointer) throw new Error('FakeSeesaw: read without a register address written first');
    const [base, fn] = this.#pointer;
    const out = new Uint8Array(length).fill(S.FIFO_EMPTY);
    if (base === S.STATUS_BASE && fn === S.STATUS_HW_ID) out[0] = this.hardwareId;
    else if (base === S.STATUS_BASE && fn === S.STATUS_VERSION)
      out.set([0x00, 0x00, 0x0b, 0xb8].slice(0, length)); // product 3000 in the high half
    else if (base === S.KEYPAD_BASE && fn === S.KEYPAD_COUNT) out[0] = Math.min(255, this.fifo.length);
    else if (base === S.KEYPAD_BASE && fn === S.KEYPAD_FIFO) out.set(this.fifo.splice(0, length));
    else throw new Error(`FakeSeesaw: read from ${hex(base)}/${hex(fn)}, which this fake does not model`);
    this.#driveInterrupt();
    return out;
  }

  #edge(key: number, edge: number): void {
    if (!Number.isInteger(key) || key < 0 || key >= GRID_KEYS)
      throw new RangeError(`FakeSeesaw: key ${key} is not 0..${GRID_KEYS - 1}`);
    const num = S.seesawKeyOfGridKey(key);
    if (((this.subscriptions.get(num) ?? 0) >> edge) & 1) this.fifo.push(S.encodeKeypadEvent(num, edge));
    this.#driveInterrupt();
  }

  #driveInterrupt(): void {
    this.#interrupt?.set(this.interruptAsserted ? 0 : 1);
  }
}
