// The MIDI in section of the virtual panel: which input notes come from (the
// box's own, or this browser's Web MIDI), the notes arriving and what the box
// made of them, MIDI-learn per drum, and the per-take choice of given drums.
// Its own file so the page's main script only creates it and hands it
// snapshots; every decision stays in the daemon (this only sends commands).

import { DRUM_COUNT } from '../../pattern/drums.js';
import type { MidiInSnapshot, PanelSnapshot } from '../protocol.js';
import { DRUM_COLORS, DRUM_LABELS } from './page-view.js';

type Send = (message: object) => void;

/** What the page needs of Web MIDI (navigator.requestMIDIAccess), typed here: lib.dom's names vary by TypeScript version. */
interface WebMidiInput {
  id: string;
  name: string | null;
  state?: string;
  onmidimessage: ((e: { data: Uint8Array | null; timeStamp: number }) => void) | null;
}
interface WebMidiAccess {
  inputs: Map<string, WebMidiInput>;
  onstatechange: (() => void) | null;
}

/** A note's meaning in a word: the drum it plays, a tap, the accent note, or another channel's. */
export function meaningText(meaning: MidiInSnapshot['seen'][number]['meaning']): string {
  if (meaning === 'accent') return 'accent';
  if (meaning === 'ignored') return 'other channel';
  return meaning >= 0 ? (DRUM_LABELS[meaning] ?? '?') : 'tap';
}

/** Only note-ons and note-offs go to the box; with the event's own stamp (when the browser got it), not now. */
export function noteMessage(data: ArrayLike<number> | null, stamp: number, now: number): object | null {
  if (!data || data.length < 3) return null;
  const status = data[0];
  if (status < 0x80 || status > 0x9f) return null;
  const time = stamp > 0 && stamp <= now ? stamp : now;
  return { type: 'midi', bytes: [status, data[1] & 0x7f, data[2] & 0x7f], time };
}

export class MidiInSection {
  readonly #send: Send;
  readonly #root: HTMLElement;
  readonly #port: HTMLSelectElement;
  readonly #connected: HTMLElement;
  readonly #web: HTMLSelectElement;
  readonly #webNote: HTMLElement;
  readonly #drums: HTMLElement;
  readonly #seen: HTMLElement;
  #access: WebMidiAccess | null = null;
  #webInput: WebMidiInput | null = null;
  #last: MidiInSnapshot | null = null;

  constructor(before: Element | null, send: Send) {
    this.#send = send;
    const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string> = {}) =>
      Object.assign(document.createElement(tag), props) as HTMLElementTagNameMap[K];
    const root = (this.#root = el('section', { className: 'midi-in', id: 'midi-in' }));
    root.hidden = true;
    const title = el('h2', { textContent: 'MIDI in ' });
    title.append(
      el('small', { textContent: '(notes are taps while recording; in score mode, drum notes are the score)' }),
    );
    this.#port = el('select', { id: 'midi-in-port', title: "the box's MIDI input for notes (until the box restarts)" });
    this.#connected = el('span', { className: 'midi-in-state' });
    this.#web = el('select', { id: 'midi-in-web', title: "this browser's MIDI inputs (Web MIDI)" });
    this.#webNote = el('span', { className: 'midi-in-state' });
    const rows = el('div', { className: 'midi-in-rows' });
    const boxRow = el('label', { textContent: 'box input ' });
    boxRow.append(this.#port, this.#connected);
    const webRow = el('label', { textContent: 'this browser ' });
    webRow.append(this.#web, this.#webNote);
    rows.append(boxRow, webRow);
    this.#drums = el('div', { className: 'midi-in-drums', id: 'midi-in-drums' });
    for (let d = 0; d < DRUM_COUNT; d++) {
      const cell = el('div', { className: 'midi-in-drum' });
      cell.style.setProperty('--drum', DRUM_COLORS[d]);
      const learn = el('button', { className: 'learn', title: `MIDI-learn: the next note plays ${DRUM_LABELS[d]}` });
      learn.dataset.drum = String(d);
      learn.addEventListener('click', () =>
        send({ type: 'command', command: 'midi-learn', drum: this.#last?.learning === d ? null : d }),
      );
      const given = el('input', { type: 'checkbox', title: `${DRUM_LABELS[d]} from the last take counts as given` });
      given.dataset.drum = String(d);
      given.addEventListener('change', () =>
        send({ type: 'command', command: 'take-drum', drum: d, given: given.checked }),
      );
      cell.append(learn, given);
      this.#drums.append(cell);
    }
    this.#seen = el('ul', { className: 'status midi-in-seen', id: 'midi-in-seen' });
    root.append(title, rows, this.#drums, this.#seen);
    before?.parentElement?.insertBefore(root, before);

    this.#port.addEventListener('change', () => {
      const port = this.#port.value === '' ? null : this.#port.value;
      send({ type: 'command', command: 'midi-input', port });
    });
    this.#web.addEventListener('focus', () => void this.#askWebMidi());
    this.#web.addEventListener('pointerdown', () => void this.#askWebMidi());
    this.#web.addEventListener('change', () => this.#useWebInput(this.#web.value));
    this.#web.replaceChildren(new Option('off', ''));
    const nav = navigator as unknown as { requestMIDIAccess?: unknown };
    this.#webNote.textContent =
      typeof nav.requestMIDIAccess === 'function'
        ? ''
        : window.isSecureContext
          ? 'this browser offers no Web MIDI'
          : 'Web MIDI needs https or localhost';
  }

  render(s: PanelSnapshot): void {
    const m = s.midiIn ?? null;
    this.#last = m;
    this.#root.hidden = !m;
    if (!m) return;
    const names = ['', ...m.inputs, ...(m.port && !m.inputs.includes(m.port) ? [m.port] : [])];
    if (Array.from(this.#port.options, (o) => o.value).join('\n') !== names.join('\n'))
      this.#port.replaceChildren(...names.map((n) => new Option(n === '' ? 'none' : n, n)));
    if (document.activeElement !== this.#port) this.#port.value = m.port ?? '';
    this.#connected.textContent =
      m.port === null ? '' : m.connected ? `open: ${m.connected}` : 'not found: looking every second';
    this.#root.dataset.learning = m.learning === null ? '' : String(m.learning);
    this.#drums.querySelectorAll<HTMLButtonElement>('.learn').forEach((b, d) => {
      b.textContent = `${DRUM_LABELS[d]} ${m.learning === d ? '… play a note' : m.notes[d]}`;
      b.classList.toggle('lit', m.learning === d);
    });
    this.#drums.querySelectorAll<HTMLInputElement>('input').forEach((box, d) => {
      box.hidden = !m.take;
      box.checked = !!m.take?.given[d];
      box.parentElement!.classList.toggle('played', !!m.take?.played[d]);
    });
    const channel = (c: number) => (m.channel === null ? ` ch ${c}` : '');
    this.#seen.replaceChildren(
      ...m.seen.map((n) =>
        Object.assign(document.createElement('li'), {
          textContent: `${n.note}${channel(n.channel)} · velocity ${n.velocity} → ${meaningText(n.meaning)} (${n.input})`,
        }),
      ),
    );
  }

  /** Web MIDI asks the user once; asked when they reach for the browser's input list, not at load. */
  async #askWebMidi(): Promise<void> {
    const nav = navigator as unknown as { requestMIDIAccess?: () => Promise<WebMidiAccess> };
    if (this.#access || typeof nav.requestMIDIAccess !== 'function') return;
    try {
      this.#access = await nav.requestMIDIAccess();
    } catch (error) {
      this.#webNote.textContent = `Web MIDI refused (${(error as Error).message ?? error})`;
      return;
    }
    this.#access.onstatechange = () => this.#listWebInputs();
    this.#listWebInputs();
  }

  #listWebInputs(): void {
    const inputs = this.#access ? Array.from(this.#access.inputs.values()) : [];
    const chosen = this.#webInput?.id ?? '';
    this.#web.replaceChildren(new Option('off', ''), ...inputs.map((i) => new Option(i.name ?? i.id, i.id)));
    // A browser input unplugged: let go of it (its notes stop; nothing is held on the box).
    if (chosen && !inputs.some((i) => i.id === chosen && i.state !== 'disconnected')) this.#useWebInput('');
    else this.#web.value = chosen;
    this.#webNote.textContent = inputs.length ? '' : 'no MIDI inputs in this browser';
  }

  #useWebInput(id: string): void {
    if (this.#webInput) this.#webInput.onmidimessage = null;
    this.#webInput = (id && this.#access?.inputs.get(id)) || null;
    this.#web.value = this.#webInput ? id : '';
    if (!this.#webInput) return;
    this.#webInput.onmidimessage = (e) => {
      const message = noteMessage(e.data, e.timeStamp, performance.now());
      if (message) this.#send(message);
    };
  }
}
