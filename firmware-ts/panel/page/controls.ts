// The panel's controls: the grid keys, the function buttons, the pad, the tempo knob and field, the
// slot and model menus and the piano-roll rows, each wired to the hands; and the computer keyboard.

import { BUTTON_NAMES, GRID_KEYS } from '../../devices/interfaces.js';
import { SHIFT_KEYS } from '../../controls/editor.js';
import { MAX_BPM, MIN_BPM, SLOT_COUNT } from '../protocol.js';
import { $ } from './dom.js';
import { addMessage } from './draw.js';
import type { Hands } from './hands.js';
import { BUTTON_CODES, GRID_CODES, TAP_CODES, TURN_KEYS, shiftCap, typing } from './keys.js';
import type { PageAudio } from './page-audio.js';
import { DRUM_COLORS, DRUM_LABELS, STEPS, buildLegends } from './page-view.js';
import { send } from './socket.js';

function pressable(el: HTMLElement, down: (e: PointerEvent) => void, up: (e: PointerEvent) => void): void {
  el.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    el.setPointerCapture?.(e.pointerId);
    down(e);
  });
  for (const type of ['pointerup', 'pointercancel', 'lostpointercapture'] as const)
    el.addEventListener(type, (e) => up(e));
}

export function build(hands: Hands, audio: PageAudio, token: string | null): void {
  const grid = $('grid');
  for (let k = 0; k < GRID_KEYS; k++) {
    const el = document.createElement('button');
    el.className = 'key';
    el.dataset.key = String(k);
    el.title = `key ${k + 1}; with SHIFT: ${SHIFT_KEYS[k]}`;
    const label = document.createElement('span');
    label.className = 'shift-label';
    label.textContent = shiftCap(k);
    el.append(label);
    pressable(
      el,
      (e) => hands.key(k, true, e),
      (e) => hands.key(k, false, e),
    );
    grid.append(el);
  }
  const buttons = $('buttons');
  for (const name of BUTTON_NAMES) {
    const el = document.createElement('button');
    el.className = 'fn';
    el.dataset.button = name;
    el.textContent = name.toUpperCase();
    pressable(
      el,
      (e) => hands.button(name, true, e),
      (e) => hands.button(name, false, e),
    );
    buttons.append(el);
  }
  const pad = $('pad');
  pad.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    // Touch and pens report pressure; a mouse does not, so where it lands sets the velocity (top = loud).
    let v = e.pointerType !== 'mouse' && e.pressure > 0 && e.pressure !== 0.5 ? e.pressure : null;
    if (v === null) {
      const r = pad.getBoundingClientRect();
      v = 1 - 0.8 * Math.min(1, Math.max(0, (e.clientY - r.top) / r.height));
    }
    hands.tap(Math.round(v * 100) / 100, e);
  });
  $('tempo-down').addEventListener('click', (e) => hands.turn(-1, e));
  $('tempo-up').addEventListener('click', (e) => hands.turn(1, e));
  const bpmInput = $<HTMLInputElement>('bpm');
  bpmInput.min = String(MIN_BPM);
  bpmInput.max = String(MAX_BPM);
  bpmInput.addEventListener('change', () => {
    const bpm = Number(bpmInput.value);
    if (Number.isFinite(bpm) && bpm >= MIN_BPM && bpm <= MAX_BPM) send({ type: 'command', command: 'tempo', bpm });
    else addMessage(`tempo: ${MIN_BPM}..${MAX_BPM} BPM`, 'error');
  });
  const model = $<HTMLSelectElement>('model');
  model.addEventListener('change', () => send({ type: 'command', command: 'model', name: model.value }));
  const slot = $<HTMLSelectElement>('slot');
  for (let s = 0; s < SLOT_COUNT; s++) slot.append(new Option(String(s + 1), String(s)));
  $('save').addEventListener('click', () => send({ type: 'command', command: 'save', slot: Number(slot.value) }));
  $('load').addEventListener('click', () => send({ type: 'command', command: 'load', slot: Number(slot.value) }));
  if (token) $<HTMLAnchorElement>('export').href = `export.mid?token=${encodeURIComponent(token)}`;
  const mute = $<HTMLInputElement>('page-audio');
  mute.addEventListener('change', () => {
    audio.muted = !mute.checked;
    if (mute.checked) audio.start();
  });
  const boxAudio = $<HTMLInputElement>('box-audio');
  boxAudio.addEventListener('change', () =>
    send({ type: 'command', command: 'mute', output: 'box', muted: !boxAudio.checked }),
  );
  const drums = DRUM_LABELS.map((name, d) => ({ name, d }));
  buildRoll($('roll'), [...drums, { name: 'accent', accent: true }], hands);
  buildRoll(
    $('heard'),
    [...drums, { name: 'groove: you' }, { name: 'groove: model' }, { name: 'accent: you' }, { name: 'accent: model' }],
    hands,
  );
  buildLegends($('heard-legend'), $('mode-legend'));

  // Browsers start audio only from a user gesture: the first click, touch or key starts the page's kit.
  const startAudio = (): void => {
    if ($<HTMLInputElement>('page-audio').checked) audio.start();
  };
  window.addEventListener('pointerdown', startAudio, { capture: true });
  window.addEventListener('keydown', startAudio, { capture: true });

  window.addEventListener('keydown', (e) => {
    // With Ctrl, Cmd or Alt held a key is the browser's (zoom is Ctrl and +/-), not the panel's.
    if (e.repeat || typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = GRID_CODES.indexOf(e.code);
    if (k >= 0) {
      hands.key(k, true, e);
      e.preventDefault();
    } else if (e.code in BUTTON_CODES) {
      hands.button(BUTTON_CODES[e.code], true, e);
      e.preventDefault();
    } else if (e.code in TAP_CODES) {
      hands.tap(TAP_CODES[e.code], e);
      e.preventDefault();
    } else if (Object.hasOwn(TURN_KEYS, e.key)) {
      hands.turn(TURN_KEYS[e.key], e);
      e.preventDefault();
    }
  });
  window.addEventListener('keyup', (e) => {
    if (typing(e)) return;
    // Space on a focused button would click it (save, load...) on key-up: the pad has it.
    if (e.code in TAP_CODES) e.preventDefault();
    const k = GRID_CODES.indexOf(e.code);
    if (k >= 0) hands.key(k, false, e);
    else if (e.code in BUTTON_CODES) hands.button(BUTTON_CODES[e.code], false, e);
  });
  // A window that loses focus never sees the key-up: let go of everything rather than leave SHIFT stuck.
  window.addEventListener('blur', (e) => {
    for (const k of [...hands.held.keys]) hands.key(k, false, e);
    for (const b of [...hands.held.buttons]) hands.button(b, false, e);
  });
}

/** Keys typed into the tempo field or a menu are not the panel's. */
interface RowSpec {
  name: string;
  d?: number;
  accent?: boolean;
}

function buildRoll(root: HTMLElement, rows: RowSpec[], hands: Hands): void {
  for (const row of rows) {
    const clickable = row.d !== undefined || row.accent;
    const label = document.createElement(clickable ? 'button' : 'span');
    label.className = 'label';
    label.textContent = row.name;
    if (row.d !== undefined) {
      const d = row.d;
      label.dataset.drum = String(d);
      label.title = `select ${row.name} (SHIFT + key ${d + 1})`;
      label.style.setProperty('--drum', DRUM_COLORS[d]);
      label.addEventListener('click', (e) => hands.selectDrum(d, e));
    }
    if (row.accent) {
      label.dataset.accent = '1';
      label.title = 'the accent: click or tap a step to accent it (or tap louder while recording)';
    }
    root.append(label);
    for (let s = 0; s < STEPS; s++) {
      const cell = document.createElement(row.accent ? 'button' : 'div');
      cell.className = `cell${s % 4 === 0 ? ' beat' : ''}${s % GRID_KEYS === 0 ? ' bar' : ''}${row.accent ? ' accent' : ''}`;
      cell.dataset.step = String(s);
      if (row.d !== undefined) cell.style.setProperty('--drum', DRUM_COLORS[row.d]);
      if (row.accent) {
        cell.title = `accent step ${s + 1}`;
        cell.addEventListener('click', (e) => hands.toggleAccentStep(s, e));
      }
      root.append(cell);
    }
  }
}
