import * as v from 'valibot';
import type { MicrophonePad } from '../devices/microphone/microphone-tap-pad.js';
import { METER_FLOOR_DB, type MicrophoneSnapshot } from '../panel/protocol.js';
import { KeptFile } from '../storage/kept-file.js';
import type { Log as BoxLog } from '../support/log.js';
import * as validation from '../support/validate.js';
import type { Seconds } from '../time/clock.js';
import type { ChangeSignal } from './changed.js';

/** The microphone as the box's options give it. */
export interface MicrophoneOptions {
  /** The microphone tap pad (opened by the caller: run.ts opens the ALSA capture, tests a fake input). */
  pad: MicrophonePad;
  /** Where a sensitivity set on the panel is kept across restarts (JSON); null: until the box stops. */
  keepFile?: string | null;
}

/**
 * How often the meter is read. Every snapshot carries the whole panel, so the
 * level moves it only ten times a second, and only when it moved by a whole dB:
 * a meter needs no more, and a quiet room sends nothing.
 */
export const METER_INTERVAL: Seconds = 0.1;

const KEEP_FORMAT = 'groovebox-microphone-1';

/**
 * The box's side of the microphone: its level for the panel (read at the
 * frame loop's pace, not per audio block), and its sensitivity, changed from
 * the panel and kept in `keepFile`. The taps themselves go the pad's way, as
 * one more tap pad (box.ts merges it with the others).
 */
export class BoxMicrophone {
  readonly pad: MicrophonePad;
  readonly #changed: ChangeSignal;
  readonly #log: BoxLog;
  #level = { peak: METER_FLOOR_DB, rms: METER_FLOOR_DB };
  #trouble: string | null = null;
  #lastRead: Seconds = -Infinity;
  readonly #kept: KeptFile | null;

  constructor(parts: { changed: ChangeSignal; log: BoxLog }, options: MicrophoneOptions) {
    this.pad = options.pad;
    this.#changed = parts.changed;
    this.#log = parts.log;
    this.#kept = options.keepFile ? new KeptFile(options.keepFile) : null;
  }

  /** Applies the sensitivity kept from the panel (it wins over the config's, as MIDI-learn's notes do). */
  async start(): Promise<void> {
    const kept = this.#kept;
    if (!kept) return;
    let text: string | null;
    try {
      text = await kept.read();
    } catch (error) {
      this.#log.warn(`${kept.path}: cannot read the microphone's kept sensitivity (${(error as Error).message})`);
      return;
    }
    if (text === null) return;
    try {
      this.pad.setSensitivity(parseKept(text, kept.path));
    } catch (error) {
      const aside = await kept.setAside();
      this.#log.warn(`${(error as Error).message}; ${aside}; using the config's microphone.sensitivity`);
    }
  }

  /** At each frame: reads the meter when its interval has passed; a level or trouble that changed redraws the panel. */
  poll(now: Seconds): void {
    const trouble = this.pad.trouble?.() ?? null;
    if (trouble !== this.#trouble) {
      this.#trouble = trouble;
      this.#changed.raise();
    }
    if (now - this.#lastRead < METER_INTERVAL) return;
    this.#lastRead = now;
    const { peak, rms } = this.pad.takeLevel();
    const level = { peak: wholeDb(peak), rms: wholeDb(rms) };
    if (level.peak === this.#level.peak && level.rms === this.#level.rms) return;
    this.#level = level;
    this.#changed.raise();
  }

  view(): MicrophoneSnapshot {
    return { device: this.pad.name, ...this.#level, sensitivity: this.pad.sensitivity, trouble: this.#trouble };
  }

  /** The panel's control: the live detector changes at once; the value is kept for the next boot. */
  setSensitivity(sensitivity: number): void {
    this.pad.setSensitivity(sensitivity);
    this.#changed.raise();
    const kept = this.#kept;
    kept?.write(`${JSON.stringify({ format: KEEP_FORMAT, sensitivity })}\n`, (error) =>
      this.#log.warn(`microphone sensitivity not kept: ${kept.path}: ${error.message}`),
    );
  }

  /** Lets a sensitivity on its way to the disk land. */
  async close(): Promise<void> {
    await this.#kept?.settled();
  }
}

function wholeDb(level: number): number {
  return Number.isFinite(level) ? Math.max(METER_FLOOR_DB, Math.min(0, Math.round(level))) : METER_FLOOR_DB;
}

/**
 * The kept file. Keys besides these are left out, as they always were: a file
 * a newer box wrote with more in it still gives its sensitivity.
 */
const KEPT_SCHEMA = validation.plainObjectWith(
  {
    format: v.literal(KEEP_FORMAT, `"${KEEP_FORMAT}"`),
    sensitivity: validation.numberIn(0, 1, 'a number 0..1'),
  },
  'a JSON object',
);

/** The kept file's text, checked: a fault is one line naming the file, the key, what came and what was expected. */
export function parseKept(text: string, file: string): number {
  return validation.validateJsonFile(KEPT_SCHEMA, text, file).sensitivity;
}
