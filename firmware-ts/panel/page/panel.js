// The virtual front panel in the browser. It is a device, not an app: it
// sends what the hands do (keys, taps, buttons, knob turns) with the page's
// own timestamps, and draws whatever state the daemon publishes. All the
// musical logic stays in the daemon.

const DRUMS = ['kick', 'snare', 'closed hat', 'open hat', 'low tom', 'mid tom', 'high tom', 'crash', 'ride'];
// Same hues as the grid LEDs (firmware-ts/gestures/led-view.ts DRUM_COLORS).
const DRUM_COLORS = ['#ff2800', '#ffc800', '#00dc3c', '#00c8c8', '#003cff', '#7800ff', '#ff00c8', '#ffffff', '#a0ff78'];
const BUTTONS = ['play', 'rec', 'mode', 'shift', 'generate', 'page'];
const STEPS = 32;
const SLOTS = 16;
// What the keys do with SHIFT held (firmware-ts/gestures/editor.ts SHIFT_KEYS), short enough for a key cap.
const SHIFT_LABELS = ['kick', 'snare', 'c.hat', 'o.hat', 'lo tom', 'mid tom', 'hi tom', 'crash', 'ride', 'acc: taps', 'acc: grid', 'release', 'bar 1', 'bar 2', 'copy bar', 'clear'];
// Physical keys (event.code) so SHIFT does not change which key is which.
const GRID_CODES = ['Digit1', 'Digit2', 'Digit3', 'Digit4', 'KeyQ', 'KeyW', 'KeyE', 'KeyR', 'KeyA', 'KeyS', 'KeyD', 'KeyF', 'KeyZ', 'KeyX', 'KeyC', 'KeyV'];
const BUTTON_CODES = { Enter: 'play', KeyT: 'rec', KeyM: 'mode', ShiftLeft: 'shift', ShiftRight: 'shift', KeyG: 'generate', KeyN: 'page' };
const TAP_CODES = { Space: 0.7, KeyJ: 0.4, KeyK: 1.0 };
// The tempo knob, by the character typed (event.key): "+" sits on different keys on different layouts, and "="
// is the unshifted "+" on US keyboards. The number pad's keys type the same characters.
const TURN_KEYS = { ArrowUp: 1, ArrowDown: -1, '+': 1, '=': 1, '-': -1 };

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search || location.hash.slice(1));
const token = params.get('token');

let socket = null;
let retry = 0;
let snapshot = null;
const held = { keys: new Set(), buttons: new Set() };

// ---- time: the event's own timestamp is when the hand moved; performance.now() is later ----
function eventTime(e) {
  const now = performance.now();
  const t = e && typeof e.timeStamp === 'number' ? e.timeStamp : now;
  return t > 0 && t <= now ? t : now;
}

// ---- the socket ----
function connect() {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  const ws = new WebSocket(url);
  socket = ws;
  ws.addEventListener('open', () => {
    retry = 0;
    setConnection('connected', true);
  });
  ws.addEventListener('message', (e) => {
    let m;
    try { m = JSON.parse(e.data); } catch { return; }
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

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function onMessage(m) {
  switch (m.type) {
    case 'ping':
      // Answer at once with our clock: the daemon estimates the offset from the round trip.
      send({ type: 'pong', id: m.id, time: performance.now() });
      break;
    case 'leds':
      renderLeds(m.leds);
      break;
    case 'snapshot':
      snapshot = m.snapshot;
      render();
      break;
    case 'error':
      addStatus(`error: ${m.error}`, 'error');
      document.body.dataset.errors = String(Number(document.body.dataset.errors || 0) + 1);
      break;
    case 'hello':
      break;
  }
}

function setConnection(text, ok) {
  $('connection').textContent = text;
  $('connection').classList.toggle('ok', ok);
  document.body.dataset.connected = ok ? '1' : '0';
}

// ---- the hands ----
function key(k, pressed, e) {
  if (held.keys.has(k) === pressed) return;
  if (pressed) held.keys.add(k); else held.keys.delete(k);
  send({ type: 'key', key: k, pressed, time: eventTime(e) });
  renderHeld();
}

function button(name, pressed, e) {
  if (held.buttons.has(name) === pressed) return;
  if (pressed) held.buttons.add(name); else held.buttons.delete(name);
  send({ type: 'button', button: name, pressed, time: eventTime(e) });
  renderHeld();
}

// A click in the page as the pad is struck: the hand hears itself at once, before the daemon's sound comes back.
let audio = null;
function tick(velocity) {
  if (!$('click').checked) return;
  audio ??= new AudioContext();
  const t = audio.currentTime;
  const osc = audio.createOscillator();
  const gain = audio.createGain();
  osc.frequency.setValueAtTime(1800, t);
  osc.frequency.exponentialRampToValueAtTime(600, t + 0.03);
  gain.gain.setValueAtTime(0.05 + 0.3 * velocity, t);
  gain.gain.exponentialRampToValueAtTime(0.001, t + 0.05);
  osc.connect(gain).connect(audio.destination);
  osc.start(t);
  osc.stop(t + 0.06);
}

function tap(velocity, e) {
  send({ type: 'tap', velocity, time: eventTime(e) });
  tick(velocity);
  const pad = $('pad');
  pad.classList.remove('hit');
  void pad.offsetWidth; // restart the flash animation
  pad.style.setProperty('--v', String(velocity));
  pad.classList.add('hit');
}

function turn(detents, e) {
  send({ type: 'turn', detents, time: eventTime(e) });
}

/** Selecting a drum is SHIFT + its key on the box; the page does exactly that. */
function selectDrum(d, e) {
  const shiftWasDown = held.buttons.has('shift');
  if (!shiftWasDown) button('shift', true, e);
  key(d, true, e);
  key(d, false, e);
  if (!shiftWasDown) button('shift', false, e);
}

function pressable(el, down, up) {
  el.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    el.setPointerCapture?.(e.pointerId);
    down(e);
  });
  for (const type of ['pointerup', 'pointercancel', 'lostpointercapture']) el.addEventListener(type, (e) => up(e));
}

function build() {
  const grid = $('grid');
  for (let k = 0; k < 16; k++) {
    const el = document.createElement('button');
    el.className = 'key';
    el.dataset.key = String(k);
    el.innerHTML = '<span class="shift-label"></span>';
    el.querySelector('.shift-label').textContent = SHIFT_LABELS[k];
    pressable(el, (e) => key(k, true, e), (e) => key(k, false, e));
    grid.append(el);
  }
  const buttons = $('buttons');
  for (const name of BUTTONS) {
    const el = document.createElement('button');
    el.className = 'fn';
    el.dataset.button = name;
    el.textContent = name.toUpperCase();
    pressable(el, (e) => button(name, true, e), (e) => button(name, false, e));
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
  $('bpm').addEventListener('change', () => {
    const bpm = Number($('bpm').value);
    if (Number.isFinite(bpm) && bpm >= 40 && bpm <= 240) send({ type: 'command', command: 'tempo', bpm });
    else addStatus('tempo: 40..240 BPM', 'error');
  });
  $('model').addEventListener('change', () => send({ type: 'command', command: 'model', name: $('model').value }));
  const slot = $('slot');
  for (let s = 0; s < SLOTS; s++) slot.append(new Option(String(s + 1), String(s)));
  $('save').addEventListener('click', () => send({ type: 'command', command: 'save', slot: Number(slot.value) }));
  $('load').addEventListener('click', () => send({ type: 'command', command: 'load', slot: Number(slot.value) }));
  if (token) $('export').href = `export.mid?token=${encodeURIComponent(token)}`;
  buildRoll($('roll'), DRUMS.map((name, d) => ({ name, d })));
  buildRoll($('heard'), [...DRUMS.map((name, d) => ({ name, d })), { name: 'groove: you' }, { name: 'groove: model' }, { name: 'accent: you' }, { name: 'accent: model' }]);

  window.addEventListener('keydown', (e) => {
    // With Ctrl, Cmd or Alt held a key is the browser's (zoom is Ctrl and +/-), not the panel's.
    if (e.repeat || typing(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = GRID_CODES.indexOf(e.code);
    if (k >= 0) { key(k, true, e); e.preventDefault(); return; }
    if (e.code in BUTTON_CODES) { button(BUTTON_CODES[e.code], true, e); e.preventDefault(); return; }
    if (e.code in TAP_CODES) { tap(TAP_CODES[e.code], e); e.preventDefault(); return; }
    if (Object.hasOwn(TURN_KEYS, e.key)) { turn(TURN_KEYS[e.key], e); e.preventDefault(); }
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
function typing(e) {
  return (e.target instanceof HTMLInputElement && e.target.type !== 'checkbox') || e.target instanceof HTMLSelectElement;
}

function buildRoll(root, rows) {
  for (const row of rows) {
    const label = document.createElement(row.d === undefined ? 'span' : 'button');
    label.className = 'label';
    label.textContent = row.name;
    if (row.d !== undefined) {
      label.dataset.drum = String(row.d);
      label.title = `select ${row.name} (SHIFT + key ${row.d + 1})`;
      label.style.setProperty('--drum', DRUM_COLORS[row.d]);
      label.addEventListener('click', (e) => selectDrum(row.d, e));
    }
    root.append(label);
    for (let s = 0; s < STEPS; s++) {
      const cell = document.createElement('div');
      cell.className = `cell${s % 4 === 0 ? ' beat' : ''}${s % 16 === 0 ? ' bar' : ''}`;
      cell.dataset.step = String(s);
      if (row.d !== undefined) cell.style.setProperty('--drum', DRUM_COLORS[row.d]);
      root.append(cell);
    }
  }
}

// ---- drawing ----
function rgb(c) {
  return `rgb(${c.r}, ${c.g}, ${c.b})`;
}

function renderLeds(leds) {
  if (!Array.isArray(leds)) return;
  document.querySelectorAll('#grid .key').forEach((el, k) => {
    const c = leds[k];
    if (!c) return;
    el.style.setProperty('--led', rgb(c));
    // A lit LED glows; a dark one shows the key's plastic.
    el.style.setProperty('--glow', String(Math.min(1, (c.r + c.g + c.b) / 400)));
  });
}

function renderHeld() {
  document.querySelectorAll('#grid .key').forEach((el, k) => el.classList.toggle('down', held.keys.has(k)));
  document.querySelectorAll('#buttons .fn').forEach((el) => el.classList.toggle('down', held.buttons.has(el.dataset.button)));
  $('grid').classList.toggle('shifted', held.buttons.has('shift'));
}

function rowCells(root, row) {
  // Each row is one label followed by 32 cells.
  return [...root.children].slice(row * (STEPS + 1) + 1, (row + 1) * (STEPS + 1));
}

function render() {
  const s = snapshot;
  if (!s) return;
  if (s.leds) renderLeds(s.leds);
  $('lcd-mode').textContent = s.mode;
  $('lcd-drum').textContent = DRUMS[s.drum] ?? '?';
  $('lcd-page').textContent = `bar ${s.page + 1}`;
  $('lcd-step').textContent = s.playhead === null ? '–' : `${s.playhead + 1}/32`;
  if (document.activeElement !== $('bpm')) $('bpm').value = String(Math.round(s.bpm * 10) / 10);
  document.querySelector('[data-button="play"]').classList.toggle('lit', !!s.playing);
  document.querySelector('[data-button="rec"]').classList.toggle('lit', s.take === 'recording' || s.take === 'count-in');
  document.querySelector('[data-button="generate"]').classList.toggle('lit', !!s.generating);
  $('pad').dataset.take = s.take ?? 'idle';
  renderModels(s);
  renderRoll(s);
  renderHeard(s);
  const list = $('status');
  list.replaceChildren(...(s.status ?? []).slice(0, 8).map((line) => Object.assign(document.createElement('li'), { textContent: line })));
}

function renderModels(s) {
  const select = $('model');
  const names = s.models && s.models.length ? s.models : [s.model];
  if ([...select.options].map((o) => o.value).join() !== names.join()) select.replaceChildren(...names.map((n) => new Option(n, n)));
  if (document.activeElement !== select) select.value = s.model;
}

function renderRoll(s) {
  const root = $('roll');
  const notes = new Map();
  for (const [step, drum, velocity, offset] of s.pattern?.notes ?? []) notes.set(step * 9 + drum, { velocity, offset });
  for (let d = 0; d < DRUMS.length; d++) {
    const score = s.gestures?.scores?.[d] ?? null;
    const state = score === null ? 'unspecified' : score.some((v) => v > 0.5) ? 'specified' : 'empty';
    const label = root.children[d * (STEPS + 1)];
    label.dataset.state = state;
    label.classList.toggle('selected', d === s.drum);
    label.title = `${DRUMS[d]}: ${state === 'unspecified' ? 'the model decides' : state === 'empty' ? 'do not play' : 'your score'} — click to select`;
    rowCells(root, d).forEach((cell, step) => {
      cell.classList.toggle('given', !!score && score[step] > 0.5);
      cell.classList.toggle('playhead', step === s.playhead);
      const n = notes.get(step * 9 + d);
      let note = cell.firstElementChild;
      if (!n) { note?.remove(); return; }
      if (!note) { note = document.createElement('div'); note.className = 'note'; cell.append(note); }
      note.style.setProperty('--v', String(n.velocity));
      // +-1 is half a step: the note is drawn that far from the grid line, late to the right.
      note.style.setProperty('--o', String(n.offset));
      note.title = `${DRUMS[d]} step ${step + 1}: velocity ${Math.round(n.velocity * 127)}, ${n.offset >= 0 ? '+' : ''}${Math.round(n.offset * 50)}% of a step`;
    });
  }
  root.dataset.notes = String(notes.size);
  root.dataset.signature = s.pattern?.notes?.map((n) => n.join(',')).join(';') ?? '';
}

function renderHeard(s) {
  const root = $('heard');
  const r = s.reconstructions;
  root.classList.toggle('none', !r);
  for (let d = 0; d < DRUMS.length; d++) {
    const p = r?.drums?.[d] ?? null;
    const given = s.gestures?.scores?.[d] ?? null;
    rowCells(root, d).forEach((cell, step) => {
      cell.style.setProperty('--p', String(p ? p[step] : 0));
      cell.classList.toggle('given', !!given && given[step] > 0.5);
    });
  }
  drawGrooveRow(root, DRUMS.length, s.gestures?.groove ?? null);
  drawGrooveRow(root, DRUMS.length + 1, r?.groove ?? null);
  drawAccentRow(root, DRUMS.length + 2, s.gestures?.accent ?? null);
  drawAccentRow(root, DRUMS.length + 3, r?.accent ?? null);
}

function drawGrooveRow(root, row, g) {
  rowCells(root, row).forEach((cell, step) => {
    const hit = !!g && g.hits[step] > 0.5;
    let note = cell.firstElementChild;
    if (!hit) { note?.remove(); return; }
    if (!note) { note = document.createElement('div'); note.className = 'note groove'; cell.append(note); }
    note.style.setProperty('--v', String(g.velocities[step]));
    note.style.setProperty('--o', String(g.offsets[step]));
  });
}

function drawAccentRow(root, row, accent) {
  rowCells(root, row).forEach((cell, step) => cell.style.setProperty('--p', String(accent ? accent[step] : 0)));
}

function addStatus(text, cls) {
  const list = $('errors');
  list.prepend(Object.assign(document.createElement('li'), { textContent: text, className: cls ?? '' }));
  while (list.children.length > 5) list.lastElementChild.remove();
}

build();
connect();
