/**
 * The microphone onset detector's figures (issue 24), on its own test audio:
 * synthetic clicks, claps and knocks at 60-200 BPM (clean, and with pink room
 * noise 10 dB below the taps), double strokes 30 ms apart, and the recorded-
 * style file bench/onsets-room.wav with its true onsets beside it. All of it
 * deterministic: the same figures on every run.
 *
 *   node dist/scripts/bench-onsets.js [--json] [--sensitivity S] [--block N]
 *
 * Timing error: |detected - true| for every matched onset. A detection
 * matches the nearest unmatched true onset within 25 ms (the usual onset
 * evaluation window is +-25 ms); recall = matched / true, false onsets =
 * unmatched detections / detections. Latency: when the live detector (fed
 * blocks of N samples, as the capture driver delivers them) knew of the
 * onset, minus the true onset.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AudioOnsetDetector, type AudioOnset } from '../firmware-ts/devices/microphone/audio-onset-detector.js';
import {
  renderTaps,
  roomNoise,
  tapLevel,
  tapRhythm,
  type SyntheticTap,
  type TapSound,
} from '../firmware-ts/devices/microphone/synthetic-taps.js';
import { PROJECT_ROOT } from '../firmware-ts/paths.js';
import { mixToMono, readWavFile } from '../firmware-ts/wav-file/read.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean' },
    sensitivity: { type: 'string' },
    block: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write('node dist/scripts/bench-onsets.js [--json] [--sensitivity 0..1] [--block SAMPLES]\n');
  process.exit(0);
}
const sensitivity = values.sensitivity === undefined ? 0.5 : Number(values.sensitivity);
const block = values.block === undefined ? 128 : Number(values.block);
if (!(sensitivity >= 0 && sensitivity <= 1))
  throw new Error(`--sensitivity: expected 0..1, got "${values.sensitivity}"`);
if (!(Number.isInteger(block) && block >= 16 && block <= 8192))
  throw new Error(`--block: expected a whole number of samples 16..8192, got "${values.block}"`);

const RATE = 48000;
const TOLERANCE = 0.025;
const TEMPOS = [60, 90, 120, 160, 200];

interface Score {
  trueOnsets: number;
  detected: number;
  matched: number;
  errorsMs: number[];
  latenciesMs: number[];
  found?: Set<number>;
}

function detect(samples: Float32Array, sampleRate: number): AudioOnset[] {
  const detector = new AudioOnsetDetector({ sampleRate, sensitivity });
  const out: AudioOnset[] = [];
  for (let i = 0; i < samples.length; i += block)
    out.push(...detector.push(samples.subarray(i, i + block), i / sampleRate));
  return out;
}

/** One-to-one matching, closest pairs first. */
function score(truth: readonly number[], found: readonly AudioOnset[]): Score {
  const pairs: { t: number; f: number; d: number }[] = [];
  truth.forEach((time, t) =>
    found.forEach((onset, f) => {
      const d = Math.abs(onset.time - time);
      if (d <= TOLERANCE) pairs.push({ t, f, d });
    }),
  );
  pairs.sort((a, b) => a.d - b.d);
  const usedT = new Set<number>(),
    usedF = new Set<number>();
  const errorsMs: number[] = [],
    latenciesMs: number[] = [];
  for (const { t, f, d } of pairs) {
    if (usedT.has(t) || usedF.has(f)) continue;
    usedT.add(t);
    usedF.add(f);
    errorsMs.push(d * 1000);
    latenciesMs.push((found[f].knownAt - truth[t]) * 1000);
  }
  return { trueOnsets: truth.length, detected: found.length, matched: usedT.size, errorsMs, latenciesMs, found: usedT };
}

function merge(scores: Score[]): Score {
  return scores.reduce(
    (a, s) => ({
      trueOnsets: a.trueOnsets + s.trueOnsets,
      detected: a.detected + s.detected,
      matched: a.matched + s.matched,
      errorsMs: a.errorsMs.concat(s.errorsMs),
      latenciesMs: a.latenciesMs.concat(s.latenciesMs),
    }),
    { trueOnsets: 0, detected: 0, matched: 0, errorsMs: [], latenciesMs: [] },
  );
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function summary(s: Score) {
  const r = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
  return {
    trueOnsets: s.trueOnsets,
    detected: s.detected,
    recall: r(s.matched / s.trueOnsets, 4),
    falseOnsets: r(s.detected === 0 ? 0 : (s.detected - s.matched) / s.detected, 4),
    errorP50Ms: r(quantile(s.errorsMs, 0.5)),
    errorP95Ms: r(quantile(s.errorsMs, 0.95)),
    errorMaxMs: r(Math.max(...s.errorsMs)),
    within5Ms: r(s.errorsMs.filter((e) => e <= 5).length / Math.max(1, s.errorsMs.length), 4),
    latencyP50Ms: r(quantile(s.latenciesMs, 0.5)),
    latencyMaxMs: r(Math.max(...s.latenciesMs)),
  };
}

function scenario(sound: TapSound | 'mixed', bpm: number, seed: number, withNoise: boolean, doubles = 0): Score {
  const taps: SyntheticTap[] = tapRhythm({ bpm, bars: 4, sound, seed, doubles, dynamics: withNoise ? 6 : 10 });
  const duration = taps[taps.length - 1].time + 0.6;
  const audio = renderTaps(taps, duration, RATE, seed);
  if (withNoise) {
    const noise = roomNoise(audio.length, tapLevel(taps, RATE, seed) * 10 ** (-10 / 20), seed + 99);
    for (let i = 0; i < audio.length; i++) audio[i] += noise[i];
  }
  return score(
    taps.map((t) => t.time),
    detect(audio, RATE),
  );
}

const groups: Record<string, Score> = {};
const sounds: TapSound[] = ['click', 'clap', 'knock'];
for (const sound of sounds)
  groups[`clean ${sound}s`] = merge(TEMPOS.map((bpm, k) => scenario(sound, bpm, 100 + k, false)));
groups['room noise -10 dB'] = merge(
  TEMPOS.flatMap((bpm, k) => sounds.map((sound, j) => scenario(sound, bpm, 200 + 10 * k + j, true))),
);
const doubleTaps = TEMPOS.map((bpm, k) => tapRhythm({ bpm, bars: 4, sound: 'mixed', seed: 300 + k, doubles: 6 }));
const doubleScores = TEMPOS.map((bpm, k) => scenario('mixed', bpm, 300 + k, false, 6));
groups['double strokes 30 ms'] = merge(doubleScores);
// A pair is found when both of its strokes matched a detection of their own.
let pairs = 0,
  pairsFound = 0;
doubleTaps.forEach((taps, k) =>
  taps.forEach((t, i) => {
    if (i === 0 || Math.abs(t.time - taps[i - 1].time - 0.03) > 1e-9) return;
    pairs++;
    if (doubleScores[k].found?.has(i) && doubleScores[k].found?.has(i - 1)) pairsFound++;
  }),
);

const room = path.join(PROJECT_ROOT, 'bench', 'onsets-room.wav');
const roomTruth = path.join(PROJECT_ROOT, 'bench', 'onsets-room.json');
if (fs.existsSync(room) && fs.existsSync(roomTruth)) {
  const wav = readWavFile(room);
  const truth = (JSON.parse(fs.readFileSync(roomTruth, 'utf8')) as { onsets: number[] }).onsets;
  groups['recorded-style file'] = score(truth, detect(mixToMono(wav), wav.sampleRate));
}

const results = Object.fromEntries(Object.entries(groups).map(([name, s]) => [name, summary(s)]));
const all = summary(merge(Object.values(groups)));
const report = {
  sampleRate: RATE,
  block,
  blockMs: Math.round((block / RATE) * 1e5) / 100,
  sensitivity,
  doublePairs: pairs,
  doublePairsBothFound: pairsFound,
  groups: results,
  all,
};
if (values.json) {
  process.stdout.write(
    JSON.stringify({
      recall: all.recall,
      falseOnsets: all.falseOnsets,
      errorP95Ms: all.errorP95Ms,
      latencyMaxMs: all.latencyMaxMs,
      ...report,
    }) + '\n',
  );
} else {
  const rows = Object.entries(results).map(([name, r]) => [
    name,
    String(r.trueOnsets),
    `${(r.recall * 100).toFixed(1)}%`,
    `${(r.falseOnsets * 100).toFixed(1)}%`,
    `${r.errorP50Ms} / ${r.errorP95Ms} / ${r.errorMaxMs}`,
    `${(r.within5Ms * 100).toFixed(1)}%`,
    `${r.latencyP50Ms} / ${r.latencyMaxMs}`,
  ]);
  const head = ['audio', 'onsets', 'recall', 'false', 'error ms p50/p95/max', '<= 5 ms', 'latency ms p50/max'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  process.stdout.write(
    `${line(head)}\n${rows.map(line).join('\n')}\n\n${RATE} Hz, blocks of ${block} samples (${report.blockMs} ms), sensitivity ${sensitivity}; double strokes: both found in ${pairsFound} of ${pairs} pairs\n`,
  );
}
