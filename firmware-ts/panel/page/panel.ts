// The virtual front panel in the browser. It is a device, not an app: it
// sends what the hands do (keys, taps, buttons, knob turns) with the page's
// own timestamps, and draws whatever state the daemon publishes. All the
// musical logic stays in the daemon; the names, colours and sizes come from
// the daemon's own modules (bundled by esbuild), so the two cannot drift.

import { BUTTON_NAMES, GRID_KEYS, type ButtonName } from '../../devices/interfaces.js';
import { SHIFT_KEYS } from '../../controls/editor.js';
import { MAX_BPM, MIN_BPM, SLOT_COUNT, type PanelSnapshot, type ServerMessage } from '../protocol.js';
import { PageAudio, type NoteTuple } from './page-audio.js';
import { MidiInSection } from './page-midi-in.js';
import {
  DRUM_COLORS,
  DRUM_LABELS,
  STEPS,
  buildLegends,
  css,
  lcdState,
  messagesFor,
  programmedDiffers,
} from './page-view.js';

/** Physical keys (event.code) so SHIFT does not change which key is which. */
const GRID_CODES = [
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
const BUTTON_CODES: Record<string, ButtonName> = {
  Enter: 'play',
  KeyT: 'rec',
  KeyM: 'mode',
  ShiftLeft: 'shift',
  ShiftRight: 'shift',
  KeyG: 'generate',
  KeyN: 'page',
};
const TAP_CODES: Record<string, number> = { Space: 0.7, KeyJ: 0.4, KeyK: 1.0 };
// The tempo knob, by the character typed (event.key): "+" sits on different keys on different layouts, and "="
// is the unshifted "+" on US keyboards. The number pad's keys type the same characters.
const TURN_KEYS: Record<string, number> = { ArrowUp: 1, ArrowDown: -1, '+': 1, '=': 1, '-': -1 };
/** The SHIFT layer's meaning, cut short enough for a key cap (the full text is the key's tooltip). */
const shiftCap = (k: number): string => (SHIFT_KEYS[k] ?? '').replace(/ \(.*|:.*/, '').replace('accent ', 'acc. ');

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const params = new URLSearchParams(location.search || location.hash.slice(1));
const token = params.get('token');

let socket: WebSocket | null = null;
let retry = 0;
let snapshot: PanelSnapshot | null = null;
const held = { keys: new Set<number>(), buttons: new Set<ButtonName>() };
const audio = new PageAudio();
/** What tests read: the page's audio and every LCD state line shown, in order. */
const lcdSeen: string[] = [];
(window as unknown as { groovebox: unknown }).groovebox = { audio, lcdSeen };

// ---- time: the event's own timestamp is when the hand moved; performance.now() is later ----
function eventTime(e?: Event): number {
  const now = performance.now();
  const t = e && typeof e.timeStamp === 'number' ? e.timeStamp : now;
  return t > 0 && t <= now ? t : now;
}

// ---- the socket ----
function connect(): void {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  const ws = new WebSocket(url);
  socket = ws;
  ws.addEventListener('open', () => {
    retry = 0;
    setConnection('connected', true);
  });
  ws.addEventListener('message', (e) => {
    let m: ServerMessage;
    try {
      m = JSON.parse(String(e.data)) as ServerMessage;
    } catch {
      return;
    }
    onMessage(m);
  });
  ws.addEventListener('close', (e) => {
    if (socket !== ws) return;
    socket = null;
    // Nothing is held on a closed socket: the daemon released it for us.
    held.keys.clear();
    held.buttons.clear();
    renderHeld();
    const reason = e.code === 1009 ? 'message too large' : e.reason || `code ${e.code}`;
    setConnection(`disconnected (${reason}); retrying…`, false);
    retry = Math.min(retry + 1, 6);
    setTimeout(connect, 250 * 2 ** retry);
  });
}

function send(message: object): void {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function onMessage(m: ServerMessage): void {
  switch (m.type) {
    case 'ping':
      // Answer at once with our clock: the daemon estimates the offset from the round trip.
      send({ type: 'pong', id: m.id, time: performance.now() });
      break;
    case 'clock':
      audio.setClockOffset(m.offset);
      break;
    case 'leds':
      renderLeds(m.leds);
      break;
    case 'snapshot': {
      const previous = snapshot;
      snapshot = m.snapshot;
      for (const line of messagesFor(previous, snapshot)) addMessage(line);
      audio.setLoop((snapshot.pattern?.notes ?? []) as NoteTuple[], snapshot.transport ?? null);
      render();
      midiIn?.render(snapshot);
      break;
    }
    case 'error':
      addMessage(`error: ${m.error}`, 'error');
      document.body.dataset.errors = String(Number(document.body.dataset.errors || 0) + 1);
      break;
    case 'hello':
      break;
  }
}

function setConnection(text: string, ok: boolean): void {
  $('connection').textContent = text;
  $('connection').classList.toggle('ok', ok);
  document.body.dataset.connected = ok ? '1' : '0';
}

// ---- the hands ----
function key(k: number, pressed: boolean, e?: Event): void {
  if (held.keys.has(k) === pressed) return;
  if (pressed) held.keys.add(k);
  else held.keys.delete(k);
  send({ type: 'key', key: k, pressed, time: eventTime(e) });
  renderHeld();
}

function button(name: ButtonName, pressed: boolean, e?: Event): void {
  if (held.buttons.has(name) === pressed) return;
  if (pressed) held.buttons.add(name);
  else held.buttons.delete(name);
  send({ type: 'button', button: name, pressed, time: eventTime(e) });
  renderHeld();
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
  const s = snapshot;
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

function pressable(el: HTMLElement, down: (e: PointerEvent) => void, up: (e: PointerEvent) => void): void {
  el.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    el.setPointerCapture?.(e.pointerId);
    down(e);
  });
  for (const type of ['pointerup', 'pointercancel', 'lostpointercapture'] as const)
    el.addEventListener(type, (e) => up(e));
}

function build(): void {
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
      (e) => key(k, true, e),
      (e) => key(k, false, e),
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
      (e) => button(name, true, e),
      (e) => button(name, false, e),
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
    tap(Math.round(v * 100) / 100, e);
  });
  $('tempo-down').addEventListener('click', (e) => turn(-1, e));
  $('tempo-up').addEventListener('click', (e) => turn(1, e));
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
  buildRoll($('roll'), [...drums, { name: 'accent', accent: true }]);
  buildRoll($('heard'), [
    ...drums,
    { name: 'groove: you' },
    { name: 'groove: model' },
    { name: 'accent: you' },
    { name: 'accent: model' },
  ]);
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
      key(k, true, e);
      e.preventDefault();
    } else if (e.code in BUTTON_CODES) {
      button(BUTTON_CODES[e.code], true, e);
      e.preventDefault();
    } else if (e.code in TAP_CODES) {
      tap(TAP_CODES[e.code], e);
      e.preventDefault();
    } else if (Object.hasOwn(TURN_KEYS, e.key)) {
      turn(TURN_KEYS[e.key], e);
      e.preventDefault();
    }
  });
  window.addEventListener('keyup', (e) => {
    if (typing(e)) return;
    // Space on a focused button would click it (save, load...) on key-up: the pad has it.
    if (e.code in TAP_CODES) e.preventDefault();
    const k = GRID_CODES.indexOf(e.code);
    if (k >= 0) key(k, false, e);
    else if (e.code in BUTTON_CODES) button(BUTTON_CODES[e.code], false, e);
  });
  // A window that loses focus never sees the key-up: let go of everything rather than leave SHIFT stuck.
  window.addEventListener('blur', (e) => {
    for (const k of [...held.keys]) key(k, false, e);
    for (const b of [...held.buttons]) button(b, false, e);
  });
}

/** Keys typed into the tempo field or a menu are not the panel's. */
function typing(e: Event): boolean {
  return (
    (e.target instanceof HTMLInputElement && e.target.type !== 'checkbox') || e.target instanceof HTMLSelectElement
  );
}

interface RowSpec {
  name: string;
  d?: number;
  accent?: boolean;
}

function buildRoll(root: HTMLElement, rows: RowSpec[]): void {
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
      label.addEventListener('click', (e) => selectDrum(d, e));
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
        cell.addEventListener('click', (e) => toggleAccentStep(s, e));
      }
      root.append(cell);
    }
  }
}

// ---- drawing ----
function renderLeds(leds: { r: number; g: number; b: number }[]): void {
  if (!Array.isArray(leds)) return;
  document.querySelectorAll<HTMLElement>('#grid .key').forEach((el, k) => {
    const c = leds[k];
    if (!c) return;
    el.style.setProperty('--led', css(c));
    // A lit LED glows; a dark one shows the key's plastic.
    el.style.setProperty('--glow', String(Math.min(1, (c.r + c.g + c.b) / 400)));
  });
}

function renderHeld(): void {
  document
    .querySelectorAll<HTMLElement>('#grid .key')
    .forEach((el, k) => el.classList.toggle('down', held.keys.has(k)));
  document
    .querySelectorAll<HTMLElement>('#buttons .fn')
    .forEach((el) => el.classList.toggle('down', held.buttons.has(el.dataset.button as ButtonName)));
  $('grid').classList.toggle('shifted', held.buttons.has('shift'));
}

function rowCells(root: HTMLElement, row: number): HTMLElement[] {
  // Each row is one label followed by STEPS cells.
  return Array.from(root.children).slice(row * (STEPS + 1) + 1, (row + 1) * (STEPS + 1)) as HTMLElement[];
}

function render(): void {
  const s = snapshot;
  if (!s) return;
  if (s.leds) renderLeds(s.leds);
  const state = lcdState(s);
  $('lcd-state').textContent = state;
  $('lcd').dataset.state = state;
  if (state && lcdSeen[lcdSeen.length - 1] !== state) lcdSeen.push(state);
  $('lcd-mode').textContent = s.mode === 'interpretation' ? 'heard' : s.mode;
  $('lcd-drum').textContent = DRUM_LABELS[s.drum] ?? '?';
  $('lcd-page').textContent = `bar ${s.page + 1}`;
  $('lcd-step').textContent = s.playhead === null ? '–' : `${s.playhead + 1}/${STEPS}`;
  const linked = s.barsLinked ?? true;
  document.body.dataset.linked = linked ? '1' : '0';
  $('link').textContent = linked ? 'bar 2 repeats bar 1 (linked)' : 'bar 2 has its own steps';
  $('mode-legend').hidden = s.mode !== 'interpretation';
  const boxAudio = $<HTMLInputElement>('box-audio');
  boxAudio.disabled = !s.boxAudio;
  if (document.activeElement !== boxAudio) boxAudio.checked = !!s.boxAudio && !s.boxAudio.muted;
  $('box-audio-label').title = s.boxAudio
    ? `the box's ${s.boxAudio.kind} (the daemon)`
    : 'the box has no audio output here';
  const bpm = $<HTMLInputElement>('bpm');
  if (document.activeElement !== bpm) bpm.value = String(Math.round(s.bpm * 10) / 10);
  document.querySelector('[data-button="play"]')!.classList.toggle('lit', !!s.playing);
  document
    .querySelector('[data-button="rec"]')!
    .classList.toggle('lit', s.take === 'recording' || s.take === 'count-in');
  document.querySelector('[data-button="generate"]')!.classList.toggle('lit', !!s.generating || programmedDiffers(s));
  $('pad').dataset.take = s.take ?? 'idle';
  renderModels(s);
  renderRoll(s, linked);
  renderHeard(s);
  const list = $('status');
  list.replaceChildren(
    ...(s.status ?? []).slice(0, 8).map((line) => Object.assign(document.createElement('li'), { textContent: line })),
  );
}

function renderModels(s: PanelSnapshot): void {
  const select = $<HTMLSelectElement>('model');
  const names = s.models && s.models.length ? s.models : [s.model];
  if (
    Array.from(select.options)
      .map((o) => o.value)
      .join() !== names.join()
  )
    select.replaceChildren(...names.map((n) => new Option(n, n)));
  if (document.activeElement !== select) select.value = s.model;
}

function renderRoll(s: PanelSnapshot, linked: boolean): void {
  const root = $('roll');
  const notes = new Map<number, { velocity: number; offset: number }>();
  for (const [step, drum, velocity, offset] of s.pattern?.notes ?? [])
    notes.set(step * DRUM_LABELS.length + drum, { velocity, offset });
  root.classList.toggle('linked', linked);
  for (let d = 0; d < DRUM_LABELS.length; d++) {
    const score = s.gestures?.scores?.[d] ?? null;
    const state = score === null ? 'unspecified' : score.some((v) => v > 0.5) ? 'specified' : 'empty';
    const label = root.children[d * (STEPS + 1)] as HTMLElement;
    label.dataset.state = state;
    label.classList.toggle('selected', d === s.drum);
    label.title = `${DRUM_LABELS[d]}: ${state === 'unspecified' ? 'the model decides' : state === 'empty' ? 'do not play' : 'your score'} — click to select`;
    rowCells(root, d).forEach((cell, step) => {
      cell.classList.toggle('given', !!score && score[step] > 0.5);
      cell.classList.toggle('playhead', step === s.playhead);
      const n = notes.get(step * DRUM_LABELS.length + d);
      let note = cell.firstElementChild as HTMLElement | null;
      if (!n) {
        note?.remove();
        return;
      }
      if (!note) {
        note = document.createElement('div');
        note.className = 'note';
        cell.append(note);
      }
      note.style.setProperty('--v', String(n.velocity));
      // +-1 is half a step: the note is drawn that far from the grid line, late to the right.
      note.style.setProperty('--o', String(n.offset));
      note.title = `${DRUM_LABELS[d]} step ${step + 1}: velocity ${Math.round(n.velocity * 127)}, ${n.offset >= 0 ? '+' : ''}${Math.round(n.offset * 50)}% of a step`;
    });
  }
  const accent = s.gestures?.accent ?? null;
  rowCells(root, DRUM_LABELS.length).forEach((cell, step) => {
    cell.classList.toggle('on', !!accent && accent[step] > 0.5);
    cell.classList.toggle('playhead', step === s.playhead);
  });
  root.dataset.notes = String(notes.size);
  root.dataset.signature = s.pattern?.notes?.map((n) => n.join(',')).join(';') ?? '';
}

function renderHeard(s: PanelSnapshot): void {
  const root = $('heard');
  const r = s.reconstructions;
  root.classList.toggle('none', !r);
  for (let d = 0; d < DRUM_LABELS.length; d++) {
    const p = r?.drums?.[d] ?? null;
    const given = s.gestures?.scores?.[d] ?? null;
    rowCells(root, d).forEach((cell, step) => {
      cell.style.setProperty('--p', String(p ? p[step] : 0));
      cell.classList.toggle('given', !!given && given[step] > 0.5);
    });
  }
  drawGrooveRow(root, DRUM_LABELS.length, s.gestures?.groove ?? null);
  drawGrooveRow(root, DRUM_LABELS.length + 1, r?.groove ?? null);
  drawAccentRow(root, DRUM_LABELS.length + 2, s.gestures?.accent ?? null);
  drawAccentRow(root, DRUM_LABELS.length + 3, r?.accent ?? null);
}

type GrooveRow = { hits: ArrayLike<number>; velocities: ArrayLike<number>; offsets: ArrayLike<number> } | null;

function drawGrooveRow(root: HTMLElement, row: number, g: GrooveRow): void {
  rowCells(root, row).forEach((cell, step) => {
    const hit = !!g && g.hits[step] > 0.5;
    let note = cell.firstElementChild as HTMLElement | null;
    if (!g || !hit) {
      note?.remove();
      return;
    }
    if (!note) {
      note = document.createElement('div');
      note.className = 'note groove';
      cell.append(note);
    }
    note.style.setProperty('--v', String(g.velocities[step]));
    note.style.setProperty('--o', String(g.offsets[step]));
  });
}

function drawAccentRow(root: HTMLElement, row: number, accent: ArrayLike<number> | null): void {
  rowCells(root, row).forEach((cell, step) => cell.style.setProperty('--p', String(accent ? accent[step] : 0)));
}

/** One line in the messages area: takes, generations, refusals. */
function addMessage(text: string, cls = ''): void {
  const list = $('messages');
  list.prepend(Object.assign(document.createElement('li'), { textContent: text, className: cls }));
  while (list.children.length > 6) list.lastElementChild!.remove();
}

build();
const midiIn = new MidiInSection(document.getElementById('messages')?.previousElementSibling ?? null, send);
connect();
