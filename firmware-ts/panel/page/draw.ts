// Drawing what the daemon publishes: the LCD, the grid's LEDs, the held keys, the loop
// as the box plays it and as the model heard the gestures, and the message list.

import type { ButtonName } from '../../devices/interfaces.js';
import type { PanelSnapshot } from '../protocol.js';
import { $ } from './dom.js';
import { DRUM_LABELS, STEPS, css, lcdState, programmedDiffers } from './page-view.js';

/** Every LCD state line shown, in order: tests read it. */
export const lcdSeen: string[] = [];

export function renderLeds(leds: { r: number; g: number; b: number }[]): void {
  if (!Array.isArray(leds)) return;
  document.querySelectorAll<HTMLElement>('#grid .key').forEach((el, k) => {
    const c = leds[k];
    if (!c) return;
    el.style.setProperty('--led', css(c));
    // A lit LED glows; a dark one shows the key's plastic.
    el.style.setProperty('--glow', String(Math.min(1, (c.r + c.g + c.b) / 400)));
  });
}

export function renderHeld(held: { keys: Set<number>; buttons: Set<ButtonName> }): void {
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

export function render(s: PanelSnapshot | null): void {
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
export function addMessage(text: string, cls = ''): void {
  const list = $('messages');
  list.prepend(Object.assign(document.createElement('li'), { textContent: text, className: cls }));
  while (list.children.length > 6) list.lastElementChild!.remove();
}
