import * as v from 'valibot';
import type { PanelModes } from '../controls/panel-modes.js';
import type { ClockInputLink } from '../inputs/midi/clock-input-link.js';
import { LOOK_EVERY, MidiInputLink } from '../inputs/midi/input-link.js';
import type { MidiInput, MidiInputOpener } from '../inputs/midi/midi-input.js';
import { NoteGestures, type MidiAccent, type SeenNote } from '../inputs/midi/note-gestures.js';
import { NoteDrumMap, type DrumBindings, type NoteBinding } from '../inputs/midi/note-map-in.js';
import type { NoteMap } from '../outputs/midi/note-map.js';
import { DRUM_COUNT, DRUMS } from '../pattern/drums.js';
import { KeptFile } from '../storage/kept-file.js';
import type { Unsubscribe } from '../support/listeners.js';
import * as validation from '../support/validate.js';
import type { BoxParts } from './parts.js';

const LEARN_FORMAT = 'groovebox-midi-learn-1';

/** MIDI notes as gestures, as the box's options give them. */
export interface NoteInputOptions {
  /**
   * The system input the notes come from: one of its own, 'clock' for the
   * input the box follows the clock of (one input serves both), or null
   * (none; the panel's Web MIDI may still bring notes).
   */
  port: { name: string; open: MidiInputOpener; dispose?(): void } | 'clock' | null;
  channel: number | null;
  accent: MidiAccent;
  accentNote: number | null;
  /** Bindings from the config; what MIDI-learn learned (`learnFile`) goes over them. */
  bindings: DrumBindings;
  /** Where MIDI-learn keeps what it learned (JSON); null: kept until the box stops. */
  learnFile?: string | null;
  /** Inputs always listened to besides the port (the virtual panel's Web MIDI). */
  sources?: MidiInput[];
  /** The system's inputs, for picking one on the panel: how to open one by name, and the list now. */
  system?: {
    input(port: string): { open: MidiInputOpener; dispose?(): void };
    list(): Promise<string[]>;
  };
}

/** What the panel shows of the MIDI note input. */
export interface NoteInputView {
  /** The configured input (or the clock input's name), null: none. */
  port: string | null;
  /** The input open now, null while missing. */
  connected: string | null;
  /** The system's inputs to pick from (as last listed, once a second). */
  inputs: string[];
  channel: number | null;
  accent: MidiAccent;
  accentNote: number | null;
  /** The note each drum answers to now. */
  notes: string[];
  /** The drum waiting for its note (MIDI-learn), null: none. */
  learning: number | null;
  /** Newest first. */
  seen: SeenNote[];
}

/**
 * The box's job of taking MIDI notes as gestures: keeps the input through
 * cable pulls (its own link, or the clock input's), feeds the notes to the
 * same take logic as the pad (through PanelModes, as the pad's strokes go),
 * keeps what MIDI-learn learns, and says what it does in one line per change.
 * A controller pulled mid-take leaves nothing stuck: the take ends on its
 * own timer with the notes it got, a learn waiting for a note is disarmed.
 */
export class NoteInput {
  readonly gestures: NoteGestures;
  readonly #parts: BoxParts & { modes: PanelModes };
  readonly #options: NoteInputOptions;
  readonly #offs: Unsubscribe[] = [];
  #link: MidiInputLink | null = null;
  #ownLink = false;
  #clockLink: ClockInputLink | null = null;
  /** The port notes are taken from now (the config's, until one is picked on the panel). */
  #port: NoteInputOptions['port'];
  /** Letting go of the present link: its use and drop listeners. */
  #unlink: Unsubscribe[] = [];
  #inputs: string[] = [];
  #cancelList: (() => void) | null = null;
  #closed = false;
  /** Where MIDI-learn keeps what it learned; null: nowhere. */
  readonly #learnFile: KeptFile | null;

  constructor(parts: BoxParts & { modes: PanelModes }, options: NoteInputOptions, output: NoteMap) {
    this.#parts = parts;
    this.#options = options;
    this.#port = options.port;
    this.#learnFile = options.learnFile ? new KeptFile(options.learnFile) : null;
    this.gestures = new NoteGestures({
      channel: options.channel,
      accent: options.accent,
      accentNote: options.accentNote,
      map: new NoteDrumMap(output, options.bindings),
      onLearned: (map, drum, binding) => this.#learned(map, drum, binding),
      onNote: () => parts.changed.raise(),
      onListenerError: (error) => parts.log.warn(`a MIDI note was not taken: ${(error as Error)?.message ?? error}`),
    });
  }

  /** Reads what was learned before, and starts taking notes (from the clock input when it is the same). */
  async start(clockLink: ClockInputLink | null): Promise<void> {
    await this.#readLearned();
    this.#clockLink = clockLink;
    this.#offs.push(this.gestures.onStroke((stroke) => this.#parts.modes.handleHit(stroke)));
    for (const source of this.#options.sources ?? []) this.#offs.push(this.gestures.listen(source));
    if (this.#options.system) await this.#listInputs();
    await this.#connect(this.#port);
  }

  /**
   * Takes notes from another system input (the panel's pick), or none; until
   * the box restarts (midi.input.port keeps one). The clock's own input, when
   * named, is shared rather than opened twice.
   */
  async select(port: string | null): Promise<void> {
    const system = this.#options.system;
    if (port !== null && !system) throw new Error('this box cannot open MIDI inputs by name');
    if (port !== null && !this.#inputs.includes(port)) {
      await this.#listInputs();
      if (!this.#inputs.includes(port))
        throw new Error(
          `no MIDI input named "${port}" (found: ${this.#inputs.length ? this.#inputs.map((n) => `"${n}"`).join(', ') : 'none'})`,
        );
    }
    this.#disconnect();
    this.gestures.dropped();
    const clockName = this.#clockLink?.connected;
    const next: NoteInputOptions['port'] =
      port === null ? null : port === clockName ? 'clock' : { name: port, ...system!.input(port) };
    this.#parts.status.say(port === null ? 'no MIDI note input' : `MIDI notes from "${port}" (picked on the panel)`);
    await this.#connect(next);
  }

  async #connect(port: NoteInputOptions['port']): Promise<void> {
    this.#port = port;
    const { capture } = this.#parts;
    if (port === 'clock') {
      this.#link = this.#clockLink?.link ?? null;
      this.#ownLink = false;
    } else if (port) {
      this.#ownLink = true;
      this.#link = new MidiInputLink({
        name: port.name,
        open: port.open,
        clock: this.#parts.clock,
        log: this.#told(),
        lines: {
          opened: (input) => `taking notes from "${input}"`,
          missing: (name, why) => `MIDI note input "${name}" not available (${why}); notes are taken when it appears`,
          gone: (input) => `MIDI note input "${input}" has gone; a take under way ends with the notes it has`,
        },
        // A reopened input starts its arrival stamps again: not in the middle of a take.
        mayReopen: () => capture.recorder.phase() === 'idle',
      });
    } else {
      this.#link = null;
      this.#ownLink = false;
    }
    const link = this.#link;
    if (!link) return;
    this.#unlink = [link.use((input) => this.gestures.listen(input)), link.onDrop(() => this.gestures.dropped())];
    if (this.#ownLink) await link.start();
  }

  #disconnect(): void {
    for (const off of this.#unlink.splice(0)) off();
    if (this.#ownLink) {
      this.#link?.close();
      const port = this.#port;
      if (port && port !== 'clock') port.dispose?.();
    }
    this.#link = null;
    this.#ownLink = false;
  }

  /** The system's inputs, listed now and once a second after (a static list: no client of ours, microseconds). */
  async #listInputs(): Promise<void> {
    this.#cancelList?.();
    const listed = await this.#options.system!.list();
    if (this.#closed) return;
    if (listed.join('\n') !== this.#inputs.join('\n')) {
      this.#inputs = listed;
      this.#parts.changed.raise();
    }
    this.#cancelList = this.#parts.clock.setTimeout(() => void this.#listInputs(), LOOK_EVERY);
  }

  view(): NoteInputView {
    const port = this.#port;
    return {
      port: port === 'clock' ? (this.#clockLink?.link.name ?? null) : (port?.name ?? null),
      connected: this.#link?.connected ?? null,
      inputs: this.#inputs.slice(),
      channel: this.#options.channel,
      accent: this.#options.accent,
      accentNote: this.#options.accentNote,
      notes: this.gestures.map.labels(),
      learning: this.gestures.learning,
      seen: this.gestures.seen(),
    };
  }

  /** MIDI-learn from the panel: the next note plays `drum` (null: stop waiting). */
  learn(drum: number | null): void {
    if (drum !== null && !(Number.isInteger(drum) && drum >= 0 && drum < DRUM_COUNT))
      throw new RangeError(`MIDI-learn: drum ${drum}: expected 0..${DRUM_COUNT - 1}`);
    this.gestures.learn(drum);
    this.#parts.status.show(drum === null ? 'MIDI-learn off' : `MIDI-learn: play the note for ${DRUMS[drum]}`);
  }

  /** Stops taking notes; lets go of the input (the clock's stays with the transport). Resolves when what was learned is on disk. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#cancelList?.();
    for (const off of this.#offs.splice(0)) off();
    this.#disconnect();
    this.gestures.close();
    await this.#learnFile?.settled();
  }

  #told() {
    const { log, status } = this.#parts;
    return {
      info: (m: string) => {
        log.info(m);
        status.show(m);
      },
      warn: (m: string) => {
        log.warn(m);
        status.show(m);
      },
    };
  }

  #learned(map: NoteDrumMap, drum: number, binding: NoteBinding): void {
    const where = binding.channel === null ? '' : ` on channel ${binding.channel}`;
    this.#parts.status.say(`MIDI-learn: note ${binding.note}${where} plays ${DRUMS[drum]}`);
    const kept = this.#learnFile;
    if (!kept) return;
    const json = `${JSON.stringify({ format: LEARN_FORMAT, drums: namedBindings(map.bindings) }, null, 2)}\n`;
    kept.write(json, (error) => this.#parts.log.warn(`MIDI-learn not kept: ${kept.path}: ${error.message}`));
  }

  async #readLearned(): Promise<void> {
    const kept = this.#learnFile;
    if (!kept) return;
    let text: string | null;
    try {
      text = await kept.read();
    } catch (error) {
      this.#parts.log.warn(
        `${kept.path}: cannot read what MIDI-learn learned (${(error as Error).message}); using the config's notes`,
      );
      return;
    }
    if (text === null) return;
    try {
      const learned = parseLearned(text, kept.path);
      let map = this.gestures.map;
      learned.forEach((binding, drum) => {
        if (binding) map = map.withBinding(drum, binding);
      });
      this.gestures.setMap(map);
    } catch (error) {
      const aside = await kept.setAside();
      this.#parts.log.warn(`${(error as Error).message}; ${aside}; using the config's notes`);
    }
  }
}

function namedBindings(bindings: DrumBindings): Record<string, NoteBinding> {
  const out: Record<string, NoteBinding> = {};
  bindings.forEach((b, drum) => {
    if (b) out[DRUMS[drum]] = b;
  });
  return out;
}

/**
 * The learn file. The channel is always written (null: any), so one missing
 * is a damaged file. Other keys are left out, as they always were, except in
 * drums: a key there that is no drum is refused, or a misspelt drum's note
 * would be dropped without a word.
 */
const LEARNED_SCHEMA = validation.plainObjectWith(
  {
    format: v.literal(LEARN_FORMAT, `"${LEARN_FORMAT}"`),
    drums: validation.strictRecord(
      Object.fromEntries(
        DRUMS.map((drum) => [
          drum,
          v.optional(
            validation.objectWith(
              {
                note: validation.integerIn(0, 127, 'an integer 0..127'),
                channel: v.nullable(validation.integerIn(1, 16, 'an integer 1..16 or null')),
              },
              'an object { note, channel }',
            ),
          ),
        ]),
      ),
      'an object keyed by drum name',
      (known) => `a drum name (${known})`,
    ),
  },
  'a JSON object',
);

/** The learn file's text, checked: a fault is one line naming the file, the key, what came and what was expected. */
export function parseLearned(text: string, file: string): DrumBindings {
  const { drums } = validation.validateJsonFile(LEARNED_SCHEMA, text, file);
  return DRUMS.map((drum): NoteBinding | null => drums[drum] ?? null);
}
