/**
 * ADS1115 register map (TI datasheet SBAS444, section 9.6). Registers are
 * 16-bit, big-endian; a write is [pointer, msb, lsb]; a read returns the
 * register the pointer last selected.
 */
export const ADS1115_ADDRESS = 0x48; // ADDR pin to GND

export const REG_CONVERSION = 0x00;
export const REG_CONFIG = 0x01;
export const REG_LO_THRESH = 0x02;
export const REG_HI_THRESH = 0x03;

/** Power-on config: single-shot, AIN0-AIN1, +-2.048 V, 128 SPS, comparator off. */
export const CONFIG_RESET = 0x8583;
export const LO_THRESH_RESET = 0x8000;
export const HI_THRESH_RESET = 0x7fff;

// Config bit fields.
export const OS_BIT = 0x8000;
export const MUX_SHIFT = 12; // 3 bits
export const PGA_SHIFT = 9; // 3 bits
export const MODE_SINGLE_SHOT = 0x0100; // bit 8: 0 = continuous
export const DR_SHIFT = 5; // 3 bits
export const COMP_MODE_WINDOW = 0x0010;
export const COMP_POL_ACTIVE_HIGH = 0x0008;
export const COMP_LAT = 0x0004;
export const COMP_QUE_MASK = 0x0003; // 0b11 = comparator disabled

/** MUX codes 4..7: AINx against GND (single-ended). */
export function muxSingleEnded(channel: number): number {
  return 0b100 + channel;
}

/** PGA code -> full-scale volts. */
export const PGA_FULL_SCALE: Readonly<Record<number, number>> = {
  0: 6.144,
  1: 4.096,
  2: 2.048,
  3: 1.024,
  4: 0.512,
  5: 0.256,
  6: 0.256,
  7: 0.256,
};
/** DR code -> samples per second. */
export const DATA_RATES = [8, 16, 32, 64, 128, 250, 475, 860] as const;
export const DR_860 = 7;

/**
 * The configuration the tap pad runs: AINx single-ended, +-4.096 V (the
 * piezo is clamped to the 3.3 V rail, so 4.096 keeps the whole swing),
 * continuous conversion at 860 SPS, comparator in traditional mode, active
 * low, non-latching, asserting after one conversion — together with the
 * threshold MSBs below this turns ALERT/RDY into a conversion-ready pulse.
 */
export function tapPadConfig(channel = 0, pga = 1): number {
  return (muxSingleEnded(channel) << MUX_SHIFT) | (pga << PGA_SHIFT) | (DR_860 << DR_SHIFT) | 0b00;
}

/** RDY mode (datasheet 9.3.8): Hi_thresh MSB = 1 and Lo_thresh MSB = 0. */
export const RDY_LO_THRESH = 0x0000;
export const RDY_HI_THRESH = 0x8000;

export function toSigned16(msb: number, lsb: number): number {
  const v = (msb << 8) | lsb;
  return v & 0x8000 ? v - 0x10000 : v;
}
