// Which computer key stands for which of the box's controls.

import type { ButtonName } from '../../devices/interfaces.js';
import { SHIFT_KEYS } from '../../controls/editor.js';

/** Physical keys (event.code) so SHIFT does not change which key is which. */
export const GRID_CODES = [
  'Digit1',
  'Digit2',
  'Digit3',
  'Digit4',
  'KeyQ',
  'KeyW',
  'KeyE',
  'KeyR',
  'KeyA',
  'KeyS',
  'KeyD',
  'KeyF',
  'KeyZ',
  'KeyX',
  'KeyC',
  'KeyV',
];
export const BUTTON_CODES: Record<string, ButtonName> = {
  Enter: 'play',
  KeyT: 'rec',
  KeyM: 'mode',
  ShiftLeft: 'shift',
  ShiftRight: 'shift',
  KeyG: 'generate',
  KeyN: 'page',
};
export const TAP_CODES: Record<string, number> = { Space: 0.7, KeyJ: 0.4, KeyK: 1.0 };
// The tempo knob, by the character typed (event.key): "+" sits on different keys on different layouts, and "="
// is the unshifted "+" on US keyboards. The number pad's keys type the same characters.
export const TURN_KEYS: Record<string, number> = { ArrowUp: 1, ArrowDown: -1, '+': 1, '=': 1, '-': -1 };
/** The SHIFT layer's meaning, cut short enough for a key cap (the full text is the key's tooltip). */
export const shiftCap = (k: number): string =>
  (SHIFT_KEYS[k] ?? '').replace(/ \(.*|:.*/, '').replace('accent ', 'acc. ');

/** Keys typed into the tempo field or a menu are not the panel's. */
export function typing(e: Event): boolean {
  return (
    (e.target instanceof HTMLInputElement && e.target.type !== 'checkbox') || e.target instanceof HTMLSelectElement
  );
}
