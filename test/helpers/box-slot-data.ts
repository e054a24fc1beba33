import { emptyGestureState, setStep } from '../../firmware-ts/controls/state.js';
import type { SlotData } from '../../firmware-ts/box/slots.js';
import { Pattern } from '../../firmware-ts/pattern/pattern.js';

/** Slots the kill test writes (0..SLOTS_UNDER_TEST-1; the working state uses the next number). */
export const SLOTS_UNDER_TEST = 4;

/**
 * Version `version` of slot `slot`: its size changes with the version (a
 * torn write would show as a parse error or a mismatch) and every field can
 * be recomputed from (slot, seed), so a loaded slot is checked exactly.
 */
export function slotVersion(slot: number, version: number): SlotData {
  let gestures = emptyGestureState();
  const loop = new Pattern();
  const notes = 20 + ((version * 37 + slot * 11) % 200);
  for (let k = 0; k < notes; k++) {
    const step = (k * 7 + version) % 32;
    const drum = (k + slot) % 9;
    loop.set(step, drum, ((k * 13 + version) % 100) / 100, ((k * 29 + slot) % 200) / 100 - 1);
    gestures = setStep(gestures, drum, step, true);
  }
  return {
    gestures,
    loop: loop.toJSON(),
    bpm: 60 + slot * 10 + (version % 40),
    model: 'ag11',
    temperature: 1,
    seed: version,
  };
}
