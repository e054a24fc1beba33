// The microphone section of the virtual panel: the box's microphone (its
// level and its sensitivity, which the daemon owns) and this browser's own
// microphone as one more tap pad. The browser's taps are found here, by the
// box's own onset detector bundled into the page, and sent as the pad's taps
// are: with their time on the page's clock, which the daemon's clock sync
// puts on its own (as the Web MIDI notes' stamps).

import { AudioOnsetDetector, DEFAULT_AUDIO_ONSET_OPTIONS } from '../../devices/microphone/audio-onset-detector.js';
import { SampleTimeline } from '../../devices/microphone/sample-timeline.js';
import type { Seconds } from '../../time/clock.js';
import { METER_FLOOR_DB, type MicrophoneSnapshot, type PanelSnapshot } from '../protocol.js';

type Send = (message: object) => void;

export interface PageTapMessage {
  type: 'tap';
  velocity: number;
  /** The page's performance.now() (ms) when the tap sounded. */
  time: number;
}

/**
 * This browser's microphone as a tap pad, without the audio plumbing: blocks
 * of samples with the page time they arrived at, out come tap messages. The
 * arrival times jitter with the page's main thread; the sample timeline (the
 * same as the box's ALSA capture) takes the earliest-looking arrival of the
 * last two seconds as the truth, so each tap carries when it sounded, not
 * when the page got to it. `latency` (the browser's own input latency, when it
 * says) is taken off as the box takes off microphone.latencyMs.
 */
export class PageMicrophoneTaps {
  readonly #timeline: SampleTimeline;
  readonly #detector: AudioOnsetDetector;
  readonly #send: (message: PageTapMessage) => void;
  #held = -Infinity;

  constructor(options: {
    sampleRate: number;
    sensitivity: number;
    latency: Seconds;
    send: (m: PageTapMessage) => void;
  }) {
    this.#timeline = new SampleTimeline(options.sampleRate);
    this.#detector = new AudioOnsetDetector({
      sampleRate: options.sampleRate,
      sensitivity: options.sensitivity,
      inputLatency: Math.min(0.5, Math.max(0, options.latency)),
    });
    this.#send = options.send;
  }

  get sensitivity(): number {
    return this.#detector.options.sensitivity;
  }

  setSensitivity(sensitivity: number): void {
    this.#detector.setSensitivity(sensitivity);
  }

  /** A block that reached the page at `arrivalMs` (performance.now()); the taps it completes go out at once. */
  block(samples: Float32Array, arrivalMs: number): void {
    const time = this.#timeline.add(samples.length, arrivalMs / 1000);
    for (const x of samples) this.#held = Math.max(this.#held, Math.abs(x));
    for (const onset of this.#detector.push(samples, time))
      this.#send({
        type: 'tap',
        velocity: Math.round(onset.velocity * 1000) / 1000,
        time: Math.max(0, onset.time * 1000),
      });
  }

  /** The loudest peak (dBFS, whole dB, METER_FLOOR_DB for silence) since the last call. */
  takePeak(): number {
    const held = this.#held;
    this.#held = -Infinity;
    return held > 0 ? Math.max(METER_FLOOR_DB, Math.round(20 * Math.log10(held))) : METER_FLOOR_DB;
  }
}

/** The meter's fill, 0..1, from a level in dBFS. */
export function meterFill(level: number): number {
  return Math.min(1, Math.max(0, (level - METER_FLOOR_DB) / -METER_FLOOR_DB));
}

/** The running browser microphone: its stream, its audio graph and its detector. */
interface PageCapture {
  taps: PageMicrophoneTaps;
  stop(): void;
}

export class MicrophoneSection {
  readonly #send: Send;
  readonly #root: HTMLElement;
  readonly #box: HTMLElement;
  readonly #boxName: HTMLElement;
  readonly #boxMeter: HTMLElement;
  readonly #boxSensitivity: HTMLInputElement;
  readonly #boxState: HTMLElement;
  readonly #pageButton: HTMLButtonElement;
  readonly #pageMeter: HTMLElement;
  readonly #pageSensitivity: HTMLInputElement;
  readonly #pageState: HTMLElement;
  #capture: PageCapture | null = null;
  #starting = false;
  #tapsSent = 0;

  constructor(before: Element | null, send: Send) {
    this.#send = send;
    const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string> = {}) =>
      Object.assign(document.createElement(tag), props) as HTMLElementTagNameMap[K];
    const meter = (id: string) => {
      const outer = el('span', { className: 'mic-meter', id, title: 'level (peak, dBFS)' });
      outer.append(el('span', { className: 'mic-level' }));
      return outer;
    };
    const slider = (id: string, title: string) =>
      el('input', { type: 'range', min: '0', max: '1', step: '0.05', id, title });
    const root = (this.#root = el('section', { className: 'microphone', id: 'microphone' }));
    const title = el('h2', { textContent: 'microphone ' });
    title.append(
      el('small', { textContent: '(knocks and claps are taps of the pad; sensitivity: right = quieter taps)' }),
    );

    this.#box = el('div', { className: 'mic-row', id: 'mic-box' });
    this.#box.hidden = true;
    this.#boxName = el('span', { className: 'mic-name' });
    this.#boxMeter = meter('mic-box-meter');
    this.#boxSensitivity = slider('mic-box-sensitivity', "the box microphone's sensitivity (kept across restarts)");
    this.#boxState = el('span', { className: 'mic-state' });
    this.#box.append(this.#boxName, this.#boxMeter, this.#boxSensitivity, this.#boxState);
    this.#boxSensitivity.addEventListener('change', () =>
      send({ type: 'command', command: 'microphone', sensitivity: Number(this.#boxSensitivity.value) }),
    );

    const page = el('div', { className: 'mic-row', id: 'mic-page' });
    this.#pageButton = el('button', { id: 'mic-page-button', textContent: "use this browser's microphone" });
    this.#pageMeter = meter('mic-page-meter');
    this.#pageSensitivity = slider('mic-page-sensitivity', "this browser's microphone's sensitivity");
    this.#pageSensitivity.value = String(DEFAULT_AUDIO_ONSET_OPTIONS.sensitivity);
    this.#pageState = el('span', { className: 'mic-state', id: 'mic-page-state' });
    page.append(this.#pageButton, this.#pageMeter, this.#pageSensitivity, this.#pageState);
    this.#pageButton.addEventListener('click', () => void this.#toggle());
    this.#pageSensitivity.addEventListener('input', () =>
      this.#capture?.taps.setSensitivity(Number(this.#pageSensitivity.value)),
    );
    if (!navigator.mediaDevices?.getUserMedia) {
      this.#pageButton.disabled = true;
      this.#pageState.textContent = window.isSecureContext
        ? 'this browser offers no microphone'
        : 'the microphone needs https or localhost';
    }
    root.append(title, this.#box, page);
    before?.parentElement?.insertBefore(root, before);
  }

  render(s: PanelSnapshot): void {
    const m: MicrophoneSnapshot | null = s.microphone ?? null;
    this.#box.hidden = !m;
    if (!m) return;
    this.#boxName.textContent = `box: ${m.device}`;
    this.#setMeter(this.#boxMeter, m.peak);
    if (document.activeElement !== this.#boxSensitivity) this.#boxSensitivity.value = String(m.sensitivity);
    this.#boxState.textContent = m.trouble ?? `sensitivity ${m.sensitivity}`;
  }

  #setMeter(meter: HTMLElement, level: number): void {
    meter.dataset.level = String(level);
    (meter.firstElementChild as HTMLElement).style.width = `${(meterFill(level) * 100).toFixed(1)}%`;
  }

  async #toggle(): Promise<void> {
    if (this.#capture) {
      this.#capture.stop();
      this.#capture = null;
      this.#pageButton.textContent = "use this browser's microphone";
      this.#pageState.textContent = '';
      this.#setMeter(this.#pageMeter, METER_FLOOR_DB);
      return;
    }
    if (this.#starting) return;
    this.#starting = true;
    this.#pageState.textContent = 'asking for the microphone…';
    try {
      this.#capture = await this.#start();
      this.#pageButton.textContent = "stop this browser's microphone";
      this.#pageState.textContent = 'listening';
    } catch (error) {
      const e = error as Error;
      this.#pageState.textContent = `no microphone (${e.name === 'NotAllowedError' ? 'permission refused' : e.message || e.name})`;
    } finally {
      this.#starting = false;
    }
  }

  /** Asks the browser's permission, then runs the microphone into the detector until stopped. */
  async #start(): Promise<PageCapture> {
    // The browser's voice processing smears and gates the very attacks the detector times: off.
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    const context = new AudioContext({ latencyHint: 'interactive' });
    const stopAll = (): void => {
      for (const track of stream.getTracks()) track.stop();
      void context.close();
    };
    try {
      await context.audioWorklet.addModule('mic-worklet.js');
      const source = context.createMediaStreamSource(stream);
      const node = new AudioWorkletNode(context, 'groovebox-microphone', { numberOfInputs: 1, numberOfOutputs: 0 });
      const settings = stream.getAudioTracks()[0]?.getSettings() as MediaTrackSettings & { latency?: number };
      const taps = new PageMicrophoneTaps({
        sampleRate: context.sampleRate,
        sensitivity: Number(this.#pageSensitivity.value),
        latency: settings?.latency ?? 0,
        send: (tap) => {
          this.#send(tap);
          this.#tapsSent++;
          this.#root.dataset.taps = String(this.#tapsSent);
        },
      });
      node.port.onmessage = (e: MessageEvent<Float32Array>) => taps.block(e.data, performance.now());
      source.connect(node);
      await context.resume();
      const meter = setInterval(() => this.#setMeter(this.#pageMeter, taps.takePeak()), 100);
      // A microphone unplugged (or taken by the system): say so; the button turns it off.
      stream.getAudioTracks()[0]?.addEventListener('ended', () => {
        this.#pageState.textContent = 'the microphone has gone: no more taps from it';
      });
      return {
        taps,
        stop: () => {
          clearInterval(meter);
          node.port.onmessage = null;
          source.disconnect();
          stopAll();
        },
      };
    } catch (error) {
      stopAll();
      throw error;
    }
  }
}
