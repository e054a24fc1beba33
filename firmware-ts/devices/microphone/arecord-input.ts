import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import type { Clock, Seconds } from '../../time/clock.js';
import { DeviceMissingError } from '../errors.js';
import { Listeners, type Unsubscribe } from '../../support/listeners.js';
import type { AudioBlock, AudioInput } from './audio-input.js';
import { SampleTimeline } from './sample-timeline.js';

/** What ArecordInput needs of child_process.spawn (tests hand in a fake process). */
export type Spawn = (
  command: string,
  args: readonly string[],
) => Pick<ChildProcess, 'stdout' | 'stderr' | 'on' | 'kill'>;

export interface ArecordInputOptions {
  clock: Clock;
  /** ALSA device, e.g. "default", "hw:1,0", "plughw:CARD=Mic" (`arecord -L` lists them). */
  device?: string;
  sampleRate?: number;
  /** Frames per ALSA period: the block size the detector runs at. */
  periodSize?: number;
  /** How long to wait for the first samples before calling the input missing. */
  openTimeout?: Seconds;
  spawn?: Spawn;
}

/**
 * The microphone on the Pi through ALSA's own recorder, `arecord` (Debian's
 * alsa-utils): raw 16-bit mono PCM on a pipe, in periods of a chosen size.
 * Chosen over node-web-audio-api's capture, which 2.x offers only as a
 * minimal getUserMedia stream into a MediaStreamAudioSourceNode (samples
 * reach JavaScript only through a ScriptProcessor or worklet, with its JACK
 * build's buffering on top); arecord's period is the block, and its failures
 * are one readable line.
 */
export class ArecordInput implements AudioInput {
  readonly sampleRate: number;
  readonly device: string;
  readonly #process: ReturnType<Spawn>;
  readonly #clock: Clock;
  readonly #timeline: SampleTimeline;
  readonly #blocks = new Listeners<[AudioBlock]>();
  readonly #ends = new Listeners<[Error]>();
  #carry: Buffer | null = null;
  #closed = false;
  #ended: string | null = null;
  #stderr = '';

  private constructor(process: ReturnType<Spawn>, options: ArecordInputOptions, sampleRate: number, device: string) {
    this.#process = process;
    this.#clock = options.clock;
    this.sampleRate = sampleRate;
    this.device = device;
    this.#timeline = new SampleTimeline(sampleRate);
  }

  /** Starts capture; resolves at the first samples, rejects with a DeviceMissingError of one line when there is no input. */
  static open(options: ArecordInputOptions): Promise<ArecordInput> {
    const device = options.device ?? 'default';
    const sampleRate = options.sampleRate ?? 48000;
    const period = options.periodSize ?? 128;
    const spawn =
      options.spawn ?? ((command, args) => spawnProcess(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    const args = [
      '-q',
      '-D',
      device,
      '-t',
      'raw',
      '-f',
      'S16_LE',
      '-c',
      '1',
      '-r',
      String(sampleRate),
      `--period-size=${period}`,
      `--buffer-size=${4 * period}`,
    ];
    return new Promise((resolve, reject) => {
      let child: ReturnType<Spawn>;
      try {
        child = spawn('arecord', args);
      } catch (err) {
        reject(new DeviceMissingError(`microphone ${device}`, `cannot start arecord (${(err as Error).message})`));
        return;
      }
      const input = new ArecordInput(child, options, sampleRate, device);
      let settled = false;
      const fail = (reason: string): void => {
        if (settled) return;
        settled = true;
        cancelTimeout();
        child.kill();
        reject(new DeviceMissingError(`microphone ${device}`, reason));
      };
      const cancelTimeout = options.clock.setTimeout(
        () => fail(`no samples from arecord within ${options.openTimeout ?? 2} s`),
        options.openTimeout ?? 2,
      );
      child.stderr?.on('data', (chunk: Buffer) => {
        input.#stderr = (input.#stderr + chunk.toString()).slice(-2000);
      });
      child.stdout?.on('data', (chunk: Buffer) => {
        if (!settled) {
          settled = true;
          cancelTimeout();
          resolve(input);
        }
        input.#data(chunk);
      });
      child.on('error', (err: NodeJS.ErrnoException) => {
        const reason =
          err.code === 'ENOENT'
            ? 'arecord not found (install the Debian package alsa-utils)'
            : `arecord failed (${err.message})`;
        if (!settled) fail(reason);
        else input.#end(reason);
      });
      child.on('exit', (code: number | null, signal: string | null) => {
        const reason = input.#lastError() ?? `arecord exited (${signal ?? `code ${code}`})`;
        if (!settled) fail(reason);
        else input.#end(reason);
      });
    });
  }

  onBlock(listener: (block: AudioBlock) => void): Unsubscribe {
    return this.#blocks.add(listener);
  }

  onEnd(listener: (error: Error) => void): Unsubscribe {
    return this.#ends.add(listener);
  }

  trouble(): string | null {
    return this.#ended;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#blocks.clear();
    this.#ends.clear();
    this.#process.kill();
  }

  #data(chunk: Buffer): void {
    if (this.#closed) return;
    const bytes = this.#carry ? Buffer.concat([this.#carry, chunk]) : chunk;
    const whole = bytes.length - (bytes.length % 2);
    this.#carry = whole < bytes.length ? Buffer.from(bytes.subarray(whole)) : null;
    if (whole === 0) return;
    const samples = new Float32Array(whole / 2);
    for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(2 * i) / 0x8000;
    const time = this.#timeline.add(samples.length, this.#clock.now());
    this.#blocks.emit({ samples, time });
  }

  #end(reason: string): void {
    if (this.#closed || this.#ended) return;
    this.#ended = reason;
    this.#ends.emit(new Error(`microphone ${this.device}: ${reason}`));
  }

  /** arecord's own last complaint ("arecord: main:831: audio open error: No such file or directory"), without ALSA's config chatter. */
  #lastError(): string | null {
    const lines = this.#stderr
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    return lines.filter((l) => l.startsWith('arecord:')).pop() ?? lines.pop() ?? null;
  }
}
