import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceMissingError } from '../errors.js';
import { checkBcm } from './gpio.js';

/**
 * Labels of the gpiochip that drives the 40-pin header: BCM2835/6/7 (Pi 1-3, Zero),
 * BCM2711 (Pi 4), RP1 (Pi 5; the header hangs off the RP1 south bridge).
 */
export const HEADER_CHIP_LABELS = ['pinctrl-bcm2835', 'pinctrl-bcm2711', 'pinctrl-rp1', 'pinctrl-bcm2712'];

export interface GpioChip {
  name: string;
  base: number;
  ngpio: number;
  label: string;
}

/** The gpiochips sysfs lists, with their base, width and label. */
export function listGpioChips(root = '/sys/class/gpio'): GpioChip[] {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    throw new DeviceMissingError('gpio', `${root} does not exist (kernel built without CONFIG_GPIO_SYSFS?)`);
  }
  const chips: GpioChip[] = [];
  for (const name of entries.filter((e) => /^gpiochip\d+$/.test(e))) {
    const read = (file: string): string => readFileSync(join(root, name, file), 'utf8').trim();
    try {
      chips.push({ name, base: Number(read('base')), ngpio: Number(read('ngpio')), label: read('label') });
    } catch {
      // A chip directory without these files is not one we can use; skip it.
    }
  }
  return chips.sort((a, b) => a.base - b.base);
}

/**
 * The sysfs number `onoff` needs for a BCM line. Since kernel 6.6 the header
 * chip's base is no longer 0 (BCM 17 is 529 on a Pi 4, 588 on a Pi 5), so
 * the number is always looked up, never assumed.
 */
export function sysfsNumberForBcm(bcm: number, root = '/sys/class/gpio', label = `BCM ${bcm}`): number {
  checkBcm(bcm, label);
  const chips = listGpioChips(root);
  const chip = chips.find((c) => HEADER_CHIP_LABELS.includes(c.label));
  if (!chip) {
    const found = chips.map((c) => `${c.name} "${c.label}"`).join(', ') || 'none';
    throw new DeviceMissingError(
      'gpio',
      `no header gpiochip under ${root} (looked for ${HEADER_CHIP_LABELS.join(' / ')}; found ${found})`,
    );
  }
  if (bcm >= chip.ngpio) throw new RangeError(`${label}: BCM ${bcm} is beyond ${chip.name}'s ${chip.ngpio} lines`);
  return chip.base + bcm;
}
