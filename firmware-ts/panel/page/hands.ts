// What the hands do on the page, sent to the daemon as the box's own gestures (key, button, tap, knob
// turn) with the page's timestamps: the daemon stays the one owner of the music.

import { GRID_KEYS, type ButtonName } from '../../devices/interfaces.js';
import type { PanelSnapshot } from '../protocol.js';
import { $ } from './dom.js';
import { renderHeld } from './draw.js';
import type { PageAudio } from './page-audio.js';
import { send } from './socket.js';

export type Hands = ReturnType<typeof createHands>;

// ---- time: the event's own timestamp is when the hand moved; performance.now() is later ----
function eventTime(e?: Event): number {
  const now = performance.now();
  const t = e && typeof e.timeStamp === 'number' ? e.timeStamp : now;
  return t > 0 && t <= now ? t : now;
}

/** The hands, given the page's sound (the tap click) and the daemon's latest snapshot (the accent lane). */
export function createHands(audio: PageAudio, current: () => PanelSnapshot | null) {
  const held = { keys: new Set<number>(), buttons: new Set<ButtonName>() };

  function key(k: number, pressed: boolean, e?: Event): void {
    if (held.keys.has(k) === pressed) return;
    if (pressed) held.keys.add(k);
    else held.keys.delete(k);
    send({ type: 'key', key: k, pressed, time: eventTime(e) });
    renderHeld(held);
  }

  function button(name: ButtonName, pressed: boolean, e?: Event): void {
    if (held.buttons.has(name) === pressed) return;
    if (pressed) held.buttons.add(name);
    else held.buttons.delete(name);
    send({ type: 'button', button: name, pressed, time: eventTime(e) });
    renderHeld(held);
  }

  const press = (name: ButtonName, e?: Event): void => {
    button(name, true, e);
    button(name, false, e);
  };

  function tap(velocity: number, e?: Event): void {
    send({ type: 'tap', velocity, time: eventTime(e) });
    if ($<HTMLInputElement>('click').checked) audio.click(velocity);
    const pad = $('pad');
    pad.classList.remove('hit');
    void pad.offsetWidth; // restart the flash animation
    pad.style.setProperty('--v', String(velocity));
    pad.classList.add('hit');
  }

  function turn(detents: number, e?: Event): void {
    send({ type: 'turn', detents, time: eventTime(e) });
  }

  /** A SHIFT-layer key, exactly as the hand does it on the box. */
  function shifted(k: number, e?: Event): void {
    const shiftWasDown = held.buttons.has('shift');
    if (!shiftWasDown) button('shift', true, e);
    key(k, true, e);
    key(k, false, e);
    if (!shiftWasDown) button('shift', false, e);
  }

  /** Selecting a drum is SHIFT + its key on the box; the page does exactly that. */
  const selectDrum = (d: number, e?: Event): void => shifted(d, e);

  /**
   * The accent lane: toggling step s is MODE to the accent view, the bar of s,
   * its key, and back — the box's own gestures, sent in order, so the daemon
   * stays the one owner of the accent.
   */
  function toggleAccentStep(step: number, e?: Event): void {
    const s = current();
    if (!s) return;
    const order = ['score', 'accent', 'interpretation'];
    const toAccent = (order.indexOf('accent') - order.indexOf(s.mode) + 3) % 3;
    const back = (3 - toAccent) % 3;
    const bar = step < GRID_KEYS ? 0 : 1;
    for (let i = 0; i < toAccent; i++) press('mode', e);
    if (bar !== s.page) press('page', e);
    key(step % GRID_KEYS, true, e);
    key(step % GRID_KEYS, false, e);
    if (bar !== s.page) press('page', e);
    for (let i = 0; i < back; i++) press('mode', e);
  }

  /** Nothing is held on a closed socket: the daemon released it for us. */
  function forget(): void {
    held.keys.clear();
    held.buttons.clear();
    renderHeld(held);
  }

  return { held, key, button, tap, turn, selectDrum, toggleAccentStep, forget };
}
