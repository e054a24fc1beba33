/**
 * The Adafruit seesaw register map, as far as the NeoTrellis uses it. Every
 * register is addressed by two bytes: module base, then function.
 */
export const NEOTRELLIS_ADDRESS = 0x2e;

export const STATUS_BASE = 0x00;
export const STATUS_HW_ID = 0x01;
export const STATUS_VERSION = 0x02;
export const STATUS_SWRST = 0x7f;
/** Writing this to SWRST resets the chip. */
export const SWRST_MAGIC = 0xff;
/** HW_ID of the SAMD09 seesaw the NeoTrellis carries. */
export const HW_ID_SAMD09 = 0x55;

export const NEOPIXEL_BASE = 0x0e;
export const NEOPIXEL_PIN = 0x01;
export const NEOPIXEL_SPEED = 0x02;
export const NEOPIXEL_BUF_LENGTH = 0x03;
export const NEOPIXEL_BUF = 0x04;
export const NEOPIXEL_SHOW = 0x05;
/** The NeoTrellis routes its 16 pixels to seesaw pin 3. */
export const NEOTRELLIS_PIXEL_PIN = 3;
/** SPEED 1 = 800 kHz (WS2812/SK6812). */
export const NEOPIXEL_SPEED_800KHZ = 1;

export const KEYPAD_BASE = 0x10;
export const KEYPAD_EVENT = 0x01;
export const KEYPAD_INTENSET = 0x02;
export const KEYPAD_INTENCLR = 0x03;
export const KEYPAD_COUNT = 0x04;
export const KEYPAD_FIFO = 0x10;

/** Keypad edges as the seesaw numbers them; the FIFO byte carries one in its low 2 bits. */
export const EDGE_HIGH = 0;
export const EDGE_LOW = 1;
export const EDGE_FALLING = 2;
export const EDGE_RISING = 3;

/**
 * The byte written to KEYPAD_EVENT to (un)subscribe a key to one edge:
 * bit 0 = enable, bits 1..4 = one bit per edge (1 << edge).
 */
export function keypadEventByte(edge: number, enable: boolean): number {
  return ((1 << edge) << 1) | (enable ? 1 : 0);
}

/**
 * The seesaw's keypad matrix is 8 columns wide internally; the NeoTrellis uses
 * the first 4 of each row. Grid key 0..15 (row-major) <-> seesaw key number.
 */
export function seesawKeyOfGridKey(key: number): number {
  return Math.floor(key / 4) * 8 + (key % 4);
}

/** The grid key of a seesaw key number, or -1 when it is not one of the 16 keys. */
export function gridKeyOfSeesawKey(num: number): number {
  const row = Math.floor(num / 8);
  const column = num % 8;
  return column < 4 && row < 4 ? row * 4 + column : -1;
}

/** A FIFO byte: key number in bits 2..7, edge in bits 0..1. */
export function decodeKeypadEvent(byte: number): { num: number; edge: number } {
  return { num: byte >> 2, edge: byte & 0x03 };
}

export function encodeKeypadEvent(num: number, edge: number): number {
  return ((num & 0x3f) << 2) | (edge & 0x03);
}

/** The seesaw answers 0xFF for FIFO bytes beyond its queue: filler, not a key. */
export const FIFO_EMPTY = 0xff;
