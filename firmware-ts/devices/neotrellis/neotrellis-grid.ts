import type { Clock, Seconds } from '../../time/clock.js';
import { DeviceMissingError } from '../errors.js';
import type { I2cBus } from '../i2c/bus.js';
import { hex } from '../i2c/bus.js';
import { RetryBackoff } from '../i2c/backoff.js';
import { ChipLink } from '../i2c/chip-link.js';
import { sleep } from '../i2c/i2c-bus-driver.js';
import type { GpioInput } from '../gpio/gpio.js';
import { GRID_KEYS, type KeyEvent, type Rgb, type StepGrid, type Unsubscribe } from '../interfaces.js';
import { Listeners } from '../../support/listeners.js';
import { namespacedLog, type DeviceLog } from '../../support/log.js';
import * as S from './seesaw.js';

export interface NeoTrellisOptions {
  bus: I2cBus;
  clock: Clock;
  address?: number;
  log?: DeviceLog;
  /** Seconds between FIFO polls when no INT line is wired (default 10 ms). */
  pollInterval?: Seconds;
  /** The INT line (active low, open drain): when given, the FIFO is read on its falling edge and polled only slowly as a safety net. */
  interrupt?: GpioInput;
  /** 0..1, scales every colour: the NeoTrellis at full white draws ~1 A from the Pi's 5 V. */
  brightness?: number;
  /** Waits after reset; tests pass an instant one. */
  wait?: (seconds: Seconds) => Promise<void>;
}

/** Pixels per I2C write: the SAMD09 seesaw buffers 32 bytes per transaction; 4 go to the header. */
const PIXELS_PER_WRITE = 8;
const FIFO_MAX = 32;
/** Seesaw timings from Adafruit's driver: the chip needs time to put the answer in its TX buffer. */
const READ_GAP: Seconds = 0.00025;
const FIFO_GAP: Seconds = 0.001;
/** Reads per INT edge at most: a line stuck low (a fault) must not keep the bus busy; the safety poll does the rest. */
const READS_PER_INTERRUPT = 4;
const BLACK: Rgb = { r: 0, g: 0, b: 0 };
/**
 * A brown-out (every LED lit bright at once) can reset the seesaw with no bus
 * error at all: keys dead, the pixel strip forgotten. So the configuration is
 * written again all the time, one keypad write per step (a full round in
 * about 1.7 s), the pixel strip with the frame after each round: never a burst
 * that would hold up the ADC on the same bus.
 */
const REFRESH_STEP: Seconds = 0.05;

/**
 * The Adafruit NeoTrellis 4x4 (seesaw at 0x2E) as a StepGrid: keypad events
 * from the seesaw FIFO, NeoPixels through the seesaw's pixel buffer.
 */
export class NeoTrellisGrid implements StepGrid {
  /** Polls (every 10 ms) and frames (up to 30 Hz) share the chip: one transaction at a time. */
  readonly #link: ChipLink;
  readonly #clock: Clock;
  readonly #address: number;
  readonly #log: DeviceLog;
  readonly #pollInterval: Seconds;
  readonly #interrupt?: GpioInput;
  readonly #brightness: number;
  readonly #listeners = new Listeners<[KeyEvent]>();
  readonly #pressed = new Array<boolean>(GRID_KEYS).fill(false);
  readonly #pollBackoff: RetryBackoff;
  readonly #showBackoff: RetryBackoff;
  /** The latest frame asked for (GRB, scaled); it replaces any not yet sent. */
  #wanted: Uint8Array | null = null;
  /** What the LEDs show: the last frame latched; null when unknown (after a bus error). */
  #shown: Uint8Array | null = null;
  /** The send in progress while #busySending (a show() meanwhile rides on it: its loop takes the newest frame). */
  #sending: Promise<void> = Promise.resolve();
  #busySending = false;
  #cancelResend: (() => void) | null = null;
  #started = false;
  #cancelPoll: (() => void) | null = null;
  #stopInterrupt: Unsubscribe | null = null;
  #polling: Promise<number> | null = null;
  /** The backoff delay the last failed poll asked for. */
  #retryIn: Seconds | undefined;
  /** After a bus error: the chip may have lost power and come back reset (see #setUpAgainIfNeeded). */
  #needsSetup = false;
  #settingUp: Promise<void> | null = null;
  /** Set-ups so far: a frame latched while one ran may not be what the LEDs show. */
  #setups = 0;
  /** See REFRESH_STEP: the next keypad write of the round, and whether the strip is due with the next frame. */
  #refreshIndex = 0;
  #refreshStrip = false;
  #cancelRefresh: (() => void) | null = null;
  #refreshing: Promise<void> | null = null;
  /** Set by close() before it awaits anything: no poll, timer or retry starts after it. */
  #closing = false;
  #closed: Promise<void> | null = null;

  private constructor(options: NeoTrellisOptions) {
    this.#clock = options.clock;
    this.#address = options.address ?? S.NEOTRELLIS_ADDRESS;
    this.#link = new ChipLink(options.bus, this.#address);
    this.#log = options.log ?? namespacedLog('groovebox:neotrellis');
    this.#pollInterval = options.pollInterval ?? 0.01;
    this.#interrupt = options.interrupt;
    this.#brightness = options.brightness ?? 0.35;
    if (!(this.#brightness >= 0 && this.#brightness <= 1))
      throw new RangeError(`NeoTrellis brightness: expected 0..1, got ${options.brightness}`);
    if (!(this.#pollInterval > 0))
      throw new RangeError(`NeoTrellis pollInterval: expected seconds > 0, got ${options.pollInterval}`);
    const name = `NeoTrellis @${hex(this.#address)}`;
    this.#pollBackoff = new RetryBackoff(`${name} keypad`, this.#log, this.#clock);
    this.#showBackoff = new RetryBackoff(`${name} pixels`, this.#log, this.#clock);
  }

  /**
   * Resets the seesaw, checks it is one, subscribes all 16 keys to press and
   * release, enables the INT line, sets up the pixel strip and blanks it.
   * Throws DeviceMissingError when nothing (or something else) answers.
   */
  static async open(options: NeoTrellisOptions): Promise<NeoTrellisGrid> {
    const grid = new NeoTrellisGrid(options);
    await grid.#begin(options.wait ?? sleep);
    return grid;
  }

  async #begin(wait: (s: Seconds) => Promise<void>): Promise<void> {
    const where = `NeoTrellis step grid (seesaw at ${hex(this.#address)})`;
    let id: number;
    try {
      await this.#write(S.STATUS_BASE, S.STATUS_SWRST, [S.SWRST_MAGIC]);
      await wait(0.01);
      id = (await this.#link.transfer(Uint8Array.of(S.STATUS_BASE, S.STATUS_HW_ID), 1, READ_GAP))[0];
    } catch (err) {
      throw new DeviceMissingError(
        where,
        `no answer on the I2C bus (${(err as { code?: string }).code ?? (err as Error).message})`,
      );
    }
    if (id !== S.HW_ID_SAMD09)
      throw new DeviceMissingError(
        where,
        `the chip answered hardware id ${hex(id)}, expected ${hex(S.HW_ID_SAMD09)} (SAMD09 seesaw)`,
      );
    await this.#configure();
    await this.show(new Array<Rgb>(GRID_KEYS).fill(BLACK));
  }

  /** What a reset chip has forgotten: key subscriptions, the INT line, the pixel strip. */
  async #configure(): Promise<void> {
    for (const bytes of [...KEYPAD_SETUP, ...STRIP_SETUP]) await this.#link.write(bytes);
  }

  /** One step of the endless configuration round (REFRESH_STEP); skipped while bus errors are being handled. */
  #refreshStep(): void {
    this.#cancelRefresh = this.#clock.setTimeout(() => {
      this.#cancelRefresh = null;
      if (this.#needsSetup || this.#pollBackoff.failures > 0 || this.#showBackoff.failures > 0)
        return this.#refreshStep();
      this.#refreshing = this.#link
        .write(KEYPAD_SETUP[this.#refreshIndex])
        .then(
          () => {
            this.#refreshIndex = (this.#refreshIndex + 1) % KEYPAD_SETUP.length;
            if (this.#refreshIndex > 0) return;
            this.#refreshStrip = true;
            void this.#send();
          },
          // The next poll or frame meets the same bus: its backoff logs and sets the chip up again.
          () => {
            this.#needsSetup = true;
          },
        )
        .finally(() => {
          this.#refreshing = null;
          if (!this.#closing) this.#refreshStep();
        });
    }, REFRESH_STEP);
  }

  /**
   * A chip that lost power (a loose cable re-seated) answers again as a reset
   * seesaw: keys dead, LEDs dark. Nothing on the bus tells a reset chip from
   * a glitch, so after any bus error the next poll or frame first sets it up
   * again (without a reset, which would drop waiting key events) and the
   * whole frame is sent again.
   */
  #setUpAgainIfNeeded(): Promise<void> {
    // Closing: the last frame (blank) is one attempt, not a reason to set the chip up again.
    if (!this.#needsSetup || this.#closing) return Promise.resolve();
    this.#settingUp ??= this.#configure()
      .then(() => {
        this.#needsSetup = false;
        this.#setups++;
        this.#shown = null;
        this.#log.debug('set up again after bus errors (key subscriptions, INT, pixel strip)');
        void this.#send();
      })
      .finally(() => {
        this.#settingUp = null;
      });
    return this.#settingUp;
  }

  onKey(listener: (event: KeyEvent) => void): Unsubscribe {
    return this.#listeners.add(listener);
  }

  /** Starts reading keys: on INT edges when wired (plus a slow safety poll), otherwise by polling. */
  start(): void {
    if (this.#started || this.#closing) return;
    this.#started = true;
    if (this.#interrupt) {
      this.#stopInterrupt = this.#interrupt.onEdge(() => {
        void this.#readWhileInterrupt(this.#interrupt!);
      });
    }
    const interval = this.#interrupt ? Math.max(0.25, this.#pollInterval) : this.#pollInterval;
    const loop = (delay: Seconds): void => {
      this.#cancelPoll = this.#clock.setTimeout(() => {
        this.#cancelPoll = null;
        void this.#pollOnce().then((retryIn) => {
          if (!this.#closing) loop(retryIn ?? interval);
        });
      }, delay);
    };
    loop(interval);
    this.#refreshStep();
  }

  /** INT stays low while events wait, so events that came in during a read give no new edge: read until it goes high. */
  async #readWhileInterrupt(interrupt: GpioInput): Promise<void> {
    for (let reads = 0; reads < READS_PER_INTERRUPT; reads++) {
      await this.poll();
      if (this.#closing || this.#pollBackoff.failures > 0 || interrupt.read() !== 0) return;
    }
  }

  /**
   * Reads the keypad FIFO once and delivers its events. Returns the number of
   * events delivered. Bus errors are absorbed (logged once, backoff applies
   * to the polling loop); overlapping calls share one read.
   */
  poll(): Promise<number> {
    if (this.#closing) return this.#polling ?? Promise.resolve(0);
    if (!this.#polling) {
      this.#polling = this.#readFifo()
        .then((n) => {
          this.#pollBackoff.succeeded();
          return n;
        })
        .catch((err) => {
          this.#needsSetup = true;
          this.#retryIn = this.#pollBackoff.failed(err);
          return 0;
        })
        .finally(() => {
          this.#polling = null;
        });
    }
    return this.#polling;
  }

  /** One poll; returns the backoff delay when it failed. */
  async #pollOnce(): Promise<Seconds | undefined> {
    this.#retryIn = undefined;
    await this.poll();
    return this.#pollBackoff.failures > 0 ? this.#retryIn : undefined;
  }

  async #readFifo(): Promise<number> {
    await this.#setUpAgainIfNeeded();
    const count = (await this.#link.transfer(Uint8Array.of(S.KEYPAD_BASE, S.KEYPAD_COUNT), 1, READ_GAP))[0];
    if (count === 0) return 0;
    const n = Math.min(count, FIFO_MAX);
    if (count > FIFO_MAX) this.#log.debug(`keypad count ${count} is more than the FIFO holds; reading ${FIFO_MAX}`);
    const bytes = await this.#link.transfer(Uint8Array.of(S.KEYPAD_BASE, S.KEYPAD_FIFO), n, FIFO_GAP);
    const time = this.#clock.now();
    let delivered = 0;
    for (const byte of bytes) if (this.#deliver(byte, time)) delivered++;
    return delivered;
  }

  #deliver(byte: number, time: Seconds): boolean {
    if (byte === S.FIFO_EMPTY) return false;
    const { num, edge } = S.decodeKeypadEvent(byte);
    const key = S.gridKeyOfSeesawKey(num);
    if (key < 0 || (edge !== S.EDGE_RISING && edge !== S.EDGE_FALLING)) {
      this.#log.debug(
        `ignored keypad event ${hex(byte)} (seesaw key ${num}, edge ${edge}): not a press/release of the 16 keys`,
      );
      return false;
    }
    const pressed = edge === S.EDGE_RISING;
    if (this.#pressed[key] === pressed) {
      if (!pressed) {
        this.#log.debug(`ignored repeated release of key ${key}`);
        return false;
      }
      // Its release was lost (a chip reset, a FIFO overflow): release it first, so this press counts.
      this.#log.debug(`press of key ${key} without its release: releasing it first`);
      this.#listeners.emit({ key, pressed: false, time });
    }
    this.#pressed[key] = pressed;
    this.#listeners.emit({ key, pressed, time });
    return true;
  }

  /**
   * Puts the 16 colours on the LEDs (GRB on the wire, unchanged 8-pixel halves
   * not re-sent). One frame is sent at a time; a frame asked for meanwhile
   * replaces any still waiting, so the LEDs end on the latest. A bus error is
   * not thrown: it is logged once by the backoff and the latest frame is sent
   * again after the backoff's delay. Resolves when the frame is latched,
   * replaced by a newer one, or waiting for its retry.
   */
  async show(colors: readonly Rgb[]): Promise<void> {
    if (this.#closing) return;
    this.#wanted = this.#frame(colors);
    return this.#send();
  }

  #frame(colors: readonly Rgb[]): Uint8Array {
    if (colors.length !== GRID_KEYS)
      throw new RangeError(`NeoTrellis show: expected ${GRID_KEYS} colours, got ${colors.length}`);
    const frame = new Uint8Array(GRID_KEYS * 3);
    colors.forEach((c, i) => {
      frame[i * 3] = this.#channel(c.g, i, 'g');
      frame[i * 3 + 1] = this.#channel(c.r, i, 'r');
      frame[i * 3 + 2] = this.#channel(c.b, i, 'b');
    });
    return frame;
  }

  #send(): Promise<void> {
    // While the backoff waits, the retry takes whatever frame is latest then.
    if (this.#busySending || this.#cancelResend) return this.#sending;
    this.#sending = this.#sendLatest();
    return this.#sending;
  }

  async #sendLatest(): Promise<void> {
    this.#busySending = true;
    try {
      await this.#setUpAgainIfNeeded();
      // Until the LEDs show the latest frame: a newer one may come in while one is on the bus.
      for (
        let frame = this.#wanted;
        frame && (this.#refreshStrip || !(this.#shown && equal(frame, this.#shown)));
        frame = this.#wanted
      ) {
        if (this.#refreshStrip) {
          // The strip set-up may empty the chip's buffer: the whole frame follows before the next SHOW.
          this.#refreshStrip = false;
          this.#shown = null;
          for (const bytes of STRIP_SETUP) await this.#link.write(bytes);
        }
        const setups = this.#setups;
        await this.#latch(frame);
        this.#shown = this.#setups === setups ? frame : null;
      }
      this.#showBackoff.succeeded();
    } catch (err) {
      // The LEDs may show part of a frame: the retry re-sends every pixel.
      this.#shown = null;
      this.#needsSetup = true;
      const delay = this.#showBackoff.failed(err);
      if (!this.#closing) {
        this.#cancelResend = this.#clock.setTimeout(() => {
          this.#cancelResend = null;
          void this.#send();
        }, delay);
      }
    } finally {
      this.#busySending = false;
    }
  }

  async #latch(frame: Uint8Array): Promise<void> {
    let changed = false;
    for (let first = 0; first < GRID_KEYS; first += PIXELS_PER_WRITE) {
      const start = first * 3;
      const part = frame.subarray(start, start + PIXELS_PER_WRITE * 3);
      if (this.#shown && equal(part, this.#shown.subarray(start, start + part.length))) continue;
      await this.#write(S.NEOPIXEL_BASE, S.NEOPIXEL_BUF, [start >> 8, start & 0xff, ...part]);
      changed = true;
    }
    if (changed) await this.#write(S.NEOPIXEL_BASE, S.NEOPIXEL_SHOW, []);
  }

  #channel(value: number, key: number, name: string): number {
    if (!(value >= 0 && value <= 255))
      throw new RangeError(`NeoTrellis show: colour ${key}.${name} = ${value}, expected 0..255`);
    return Math.round(value * this.#brightness);
  }

  /** Several bus errors in a row on the keypad or the pixels (a glitch the retry fixed is not trouble), or null. */
  trouble(): string | null {
    const failing = [this.#pollBackoff, this.#showBackoff].find((b) => b.failing);
    return failing ? `step grid: ${failing.lastError} on the I2C bus, retrying` : null;
  }

  /** Stops reading keys and retrying frames, waits for what is on the bus, and blanks the LEDs (one attempt). */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    this.#cancelPoll?.();
    this.#cancelResend?.();
    this.#cancelRefresh?.();
    this.#stopInterrupt?.();
    this.#cancelPoll = this.#cancelResend = this.#cancelRefresh = this.#stopInterrupt = null;
    await this.#polling;
    await this.#refreshing;
    this.#wanted = this.#frame(new Array<Rgb>(GRID_KEYS).fill(BLACK));
    await this.#send();
    this.#listeners.clear();
  }

  #write(base: number, fn: number, data: number[]): Promise<void> {
    return this.#link.write(register(base, fn, data));
  }
}

/** One seesaw register write: module base, function, data. */
function register(base: number, fn: number, data: number[]): Uint8Array {
  return Uint8Array.from([base, fn, ...data]);
}

/** Every key reports press and release; the keypad drives INT. */
const KEYPAD_SETUP: readonly Uint8Array[] = [
  ...Array.from({ length: GRID_KEYS }, (_, key) => [
    register(S.KEYPAD_BASE, S.KEYPAD_EVENT, [S.seesawKeyOfGridKey(key), S.keypadEventByte(S.EDGE_RISING, true)]),
    register(S.KEYPAD_BASE, S.KEYPAD_EVENT, [S.seesawKeyOfGridKey(key), S.keypadEventByte(S.EDGE_FALLING, true)]),
  ]).flat(),
  register(S.KEYPAD_BASE, S.KEYPAD_INTENSET, [0x01]),
];

/** The NeoTrellis pixel strip: its pin, speed and buffer length (3 bytes a pixel). */
const STRIP_SETUP: readonly Uint8Array[] = [
  register(S.NEOPIXEL_BASE, S.NEOPIXEL_PIN, [S.NEOTRELLIS_PIXEL_PIN]),
  register(S.NEOPIXEL_BASE, S.NEOPIXEL_SPEED, [S.NEOPIXEL_SPEED_800KHZ]),
  register(S.NEOPIXEL_BASE, S.NEOPIXEL_BUF_LENGTH, [(GRID_KEYS * 3) >> 8, (GRID_KEYS * 3) & 0xff]),
];

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
