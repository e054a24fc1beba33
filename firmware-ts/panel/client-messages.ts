import * as v from 'valibot';
import { BUTTON_NAMES, GRID_KEYS } from '../devices/interfaces.js';
import * as validation from '../support/validate.js';
import { validate } from '../support/validate.js';
import { DRUM_COUNT } from '../pattern/drums.js';
import { MAX_BPM, MAX_DETENTS, MAX_PAGE_TIME_MS, MAX_PORT_NAME, MIN_BPM, MODEL_NAME, SLOT_COUNT } from './protocol.js';

/**
 * What a page may send the daemon, as one schema: `parseClientMessage` is the
 * only way in, checks every field and throws PanelMessageError with a one-line
 * reason naming the field. The daemon's side only: the page's bundle imports
 * protocol.ts, which has the types alone.
 */

const numberIn = (lo: number, hi: number) => validation.numberIn(lo, hi, `a number ${lo}..${hi}`);
const integerIn = (lo: number, hi: number) => validation.integerIn(lo, hi, `an integer ${lo}..${hi}`);
const pageTime = validation.numberIn(
  0,
  MAX_PAGE_TIME_MS,
  `the page's performance.now() in ms (0..${MAX_PAGE_TIME_MS})`,
);
const MODEL_NAME_TEXT = 'a model name like "ag11" (a-z, 0-9, _ and -)';
const NOTE_BYTES = 'a note-on or note-off as three bytes';
// Notes only: the box takes nothing else from a page (no clock, no sysex).
const noteBytes = v.custom<[number, number, number]>(
  (b) =>
    Array.isArray(b) &&
    b.length === 3 &&
    b.every((x) => Number.isInteger(x)) &&
    b[0] >= 0x80 &&
    b[0] <= 0x9f &&
    b[1] >= 0 &&
    b[1] <= 127 &&
    b[2] >= 0 &&
    b[2] <= 127,
  NOTE_BYTES,
);
const PORT_NAME = `a MIDI input name (1..${MAX_PORT_NAME} characters) or null`;
const portName = v.pipe(v.string(PORT_NAME), v.minLength(1, PORT_NAME), v.maxLength(MAX_PORT_NAME, PORT_NAME));
/** Unknown fields are refused rather than ignored: a page that sends them is not the page we wrote. */
const message = <const E extends v.ObjectEntries>(entries: E) => validation.strictEntries(entries, 'an object');
const command = <const E extends v.ObjectEntries>(entries: E) => message({ type: v.literal('command'), ...entries });

/** Every shape a page may send; anything else is refused. */
const CLIENT_MESSAGE = v.pipe(
  v.custom<unknown>(validation.isPlainObject, 'an object'),
  v.variant(
    'type',
    [
      message({ type: v.literal('key'), key: integerIn(0, GRID_KEYS - 1), pressed: validation.flag(), time: pageTime }),
      message({ type: v.literal('tap'), velocity: numberIn(0, 1), time: pageTime }),
      message({
        type: v.literal('button'),
        button: validation.oneOf(BUTTON_NAMES),
        pressed: validation.flag(),
        time: pageTime,
      }),
      message({
        type: v.literal('turn'),
        detents: v.pipe(
          integerIn(-MAX_DETENTS, MAX_DETENTS),
          v.check((d) => d !== 0, 'a non-zero integer'),
        ),
        time: pageTime,
      }),
      message({ type: v.literal('pong'), id: integerIn(0, Number.MAX_SAFE_INTEGER), time: pageTime }),
      /** A note from the browser's Web MIDI (note-on or note-off), at the MIDI event's own timeStamp. */
      message({ type: v.literal('midi'), bytes: noteBytes, time: pageTime }),
      /** Extra controls of the panel that the hardware does not have. */
      v.variant('command', [
        command({ command: v.literal('tempo'), bpm: numberIn(MIN_BPM, MAX_BPM) }),
        command({
          command: v.literal('model'),
          name: v.pipe(v.string(MODEL_NAME_TEXT), v.regex(MODEL_NAME, MODEL_NAME_TEXT)),
        }),
        command({ command: v.literal('save'), slot: integerIn(0, SLOT_COUNT - 1) }),
        command({ command: v.literal('load'), slot: integerIn(0, SLOT_COUNT - 1) }),
        /** The daemon's sound card on or off (the page's own sound is the page's business). */
        command({
          command: v.literal('mute'),
          output: v.literal('box', `"box" (the daemon's sound card)`),
          muted: validation.flag(),
        }),
        /** MIDI-learn: the next MIDI note plays this drum; null stops waiting. */
        command({ command: v.literal('midi-learn'), drum: v.nullable(integerIn(0, DRUM_COUNT - 1)) }),
        /** The per-take choice: a drum of the last MIDI take counts as given (its row from the take) or not. */
        command({ command: v.literal('take-drum'), drum: integerIn(0, DRUM_COUNT - 1), given: validation.flag() }),
        /** The system MIDI input notes come from (one the snapshot lists), until the box restarts; null: none. */
        command({ command: v.literal('midi-input'), port: v.nullable(portName) }),
        /** The box microphone's sensitivity (0: loud taps only, 1: the quietest), kept across restarts. */
        command({ command: v.literal('microphone'), sensitivity: numberIn(0, 1) }),
      ]),
    ],
    (issue) =>
      issue.path?.[0]?.key === 'command'
        ? 'tempo, model, save, load, mute, midi-learn, take-drum, midi-input or microphone'
        : 'key, tap, button, turn, pong, midi or command',
  ),
);

export type ClientMessage = v.InferOutput<typeof CLIENT_MESSAGE>;
/** Extra controls of the panel that the hardware does not have (a command message without its type). */
export type PanelCommand = WithoutType<Extract<ClientMessage, { type: 'command' }>>;
type WithoutType<T> = T extends unknown ? Omit<T, 'type'> : never;

export class PanelMessageError extends Error {
  override name = 'PanelMessageError';
}

/**
 * Parses one text frame from a page. Accepts exactly the shapes of
 * ClientMessage; anything else throws PanelMessageError naming the field.
 */
export function parseClientMessage(text: string): ClientMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PanelMessageError(`not JSON (${text.length} characters)`);
  }
  return validate(CLIENT_MESSAGE, raw, (problem) => {
    if (problem.unknownKey)
      return new PanelMessageError(`${String(problem.parent?.type)}: unexpected field ${describe(problem.path)}`);
    const field = problem.path ? `${problem.path}: ` : '';
    return new PanelMessageError(`${field}expected ${problem.expected}, got ${describe(problem.value)}`);
  });
}

/** A short, safe rendering of a value for an error line: never echoes more than 40 characters back. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? typeof v);
  } catch {
    s = typeof v;
  }
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
