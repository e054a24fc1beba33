import fs from 'node:fs';
import path from 'node:path';
import {
  detectOnsets,
  velocityOfLevel,
  DEFAULT_AUDIO_ONSET_OPTIONS,
  type AudioOnset,
} from '../../devices/microphone/audio-onset-detector.js';
import { TapRecorder, type Take } from '../../controls/tap-recorder.js';
import { onsetsToMidi } from '../../midi-file/onsets.js';
import type { Groove } from '../../pattern/gestures.js';
import { STEPS, STEPS_PER_BAR } from '../../pattern/pattern.js';
import { OfflineClock } from '../../time/clock.js';
import { mixToMono, readWavFile } from '../../wav-file/read.js';
import { UsageError, integerOption, numberOption, stringOption, type Command } from '../command.js';

/** The side stick: a tap on an edge, and a kit pitch, so `generate --groove G.mid` reads the file as it is. */
const DEFAULT_PITCH = 37;

/**
 * `groovebox groove --from-wav`: the microphone's offline path. The live
 * detector runs over a recording; every onset becomes one note at its exact
 * time (so the file's note-ons are the detected onsets, time 0 = the WAV's
 * start), and every 2 bars in turn go through the tap recorder, as a take on
 * the box would, to show the grooves they tap.
 */
export const grooveCommand: Command = {
  name: 'groove',
  summary:
    'Taps in a recording (any audio: knocks, claps, a pad) -> a MIDI file of the onsets and the 2-bar grooves they tap',
  usage: `groovebox groove --from-wav taps.wav --bpm B --out groove.mid [options]
  --from-wav FILE     a WAV recording that starts on a downbeat (PCM 8/16/24/32-bit or 32-bit float, mono or stereo, any rate)
  --bpm B             the tempo the taps were played at (20..400)
  --out FILE          the MIDI file to write: one note per onset at its exact time, velocity from its level;
                      a recording longer than 2 bars keeps every onset in one file, and every 2 bars in turn
                      are printed as the groove the box would record from them
  --sensitivity S     0..1 (default ${DEFAULT_AUDIO_ONSET_OPTIONS.sensitivity}): higher hears quieter and smaller taps, and more noise
  --latency MS        milliseconds to subtract from every onset (the recording chain's latency; default 0)
  --loud-level DB     level in dBFS that gives velocity 1 (default: the recording's loudest onset)
  --pitch N           MIDI note of the taps on channel 10 (default ${DEFAULT_PITCH}, side stick)
  --json              print the onsets and the grooves as JSON instead of the text view`,
  options: {
    'from-wav': { type: 'string' },
    bpm: { type: 'string' },
    out: { type: 'string' },
    sensitivity: { type: 'string' },
    latency: { type: 'string' },
    'loud-level': { type: 'string' },
    pitch: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values }) {
    const file = stringOption(values, 'from-wav');
    if (!file) throw new UsageError('--from-wav: the recording to read is required (e.g. --from-wav taps.wav)');
    if (values.bpm === undefined)
      throw new UsageError('--bpm: the tempo of the recording is required (e.g. --bpm 100)');
    const bpm = numberOption(values, 'bpm', 120, 20, 400);
    const out = stringOption(values, 'out');
    if (!out) throw new UsageError('--out: the MIDI file to write is required (e.g. --out groove.mid)');
    const sensitivity = numberOption(values, 'sensitivity', DEFAULT_AUDIO_ONSET_OPTIONS.sensitivity, 0, 1);
    const latency = numberOption(values, 'latency', 0, 0, 500) / 1000;
    const pitch = integerOption(values, 'pitch', DEFAULT_PITCH, 0, 127);
    const loudLevel = values['loud-level'] === undefined ? undefined : numberOption(values, 'loud-level', 0, -90, 0);

    const wav = readWavFile(file);
    const onsets = detectOnsets(mixToMono(wav), { sampleRate: wav.sampleRate, sensitivity, inputLatency: latency });
    // A recording's gain is whatever the recorder chose: by default its loudest tap is the full velocity.
    const loud = loudLevel ?? Math.max(...onsets.map((o) => o.level), -90);
    const strokes = onsets.map((o) => ({
      time: o.time,
      velocity: velocityOfLevel(o.level, { ...DEFAULT_AUDIO_ONSET_OPTIONS, loudLevel: loud }),
    }));
    const takes = grooves(strokes, bpm, wav.duration);
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    fs.writeFileSync(out, onsetsToMidi(strokes, { bpm, pitch, duration: (takes.length * STEPS * 60) / bpm / 4 }));

    process.stderr.write(
      `groovebox: ${file} (${wav.duration.toFixed(2)} s, ${wav.sampleRate} Hz): ${onsets.length} onset${onsets.length === 1 ? '' : 's'} -> ${out} (${takes.length} groove${takes.length === 1 ? '' : 's'} of 2 bars at ${bpm} bpm)\n`,
    );
    if (values.json) {
      process.stdout.write(
        JSON.stringify({
          file,
          bpm,
          out,
          onsets: onsets.map((o, k) => onsetJSON(o, strokes[k].velocity)),
          grooves: takes.map(grooveJSON),
        }) + '\n',
      );
    } else {
      takes.forEach((take, k) =>
        process.stdout.write(
          `bars ${2 * k + 1}-${2 * k + 2}  ${grooveText(take.groove)}  ${take.taps} tap${take.taps === 1 ? '' : 's'}\n`,
        ),
      );
    }
  },
};

/**
 * Every 2 bars in turn through the tap recorder, as takes armed on each
 * loop's downbeat: every whole 2 bars of the recording, and the part after
 * them when a tap falls in it (a recording rarely ends exactly on a bar line).
 */
export function grooves(strokes: readonly { time: number; velocity: number }[], bpm: number, duration: number): Take[] {
  const loop = (STEPS * 60) / bpm / 4;
  const halfStep = loop / STEPS / 2;
  const whole = Math.floor(duration / loop + 1e-9);
  const lastTap = Math.max(-Infinity, ...strokes.map((s) => s.time));
  const count = Math.max(1, whole, Math.ceil((lastTap + halfStep) / loop - 1e-9));
  const takes: Take[] = [];
  for (let k = 0; k < count; k++) {
    const clock = new OfflineClock(k * loop);
    const recorder = new TapRecorder({ clock, bpm: () => bpm, grace: 0 });
    recorder.onTake((take) => takes.push(take));
    const window = recorder.arm(k * loop);
    for (const stroke of strokes) recorder.hit(stroke);
    clock.advanceTo(window.end);
  }
  return takes;
}

/** One character per 16th, a bar line every beat: "." nothing, 1-9 the velocity, with < or > for a stroke a third of a half-step early or late. */
function grooveText(groove: Groove | null): string {
  let text = '';
  for (let step = 0; step < STEPS; step++) {
    if (step % 4 === 0) text += '|';
    if (step > 0 && step % STEPS_PER_BAR === 0) text += '|';
    if (!groove || groove.hits[step] < 0.5) {
      text += ' . ';
      continue;
    }
    const offset = groove.offsets[step];
    text += `${offset < -1 / 3 ? '<' : ' '}${Math.max(1, Math.round(groove.velocities[step] * 9))}${offset > 1 / 3 ? '>' : ' '}`;
  }
  return `${text}|`;
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

function onsetJSON(onset: AudioOnset, velocity: number) {
  return { time: round(onset.time, 5), velocity: round(velocity), levelDb: round(onset.level, 1) };
}

function grooveJSON(take: Take) {
  const g = take.groove;
  return {
    start: round(take.window.start, 5),
    taps: take.taps,
    hits: g ? Array.from(g.hits) : new Array(STEPS).fill(0),
    velocities: g ? Array.from(g.velocities, (v) => round(v)) : new Array(STEPS).fill(0),
    offsets: g ? Array.from(g.offsets, (v) => round(v)) : new Array(STEPS).fill(0),
  };
}
