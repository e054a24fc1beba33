import { expect } from 'chai';
import { drawSteps } from '../firmware-ts/model/draw-notes.js';
import { mulberry32 } from '../firmware-ts/model/random.js';
import { STEP_OUTPUT_WIDTH } from '../firmware-ts/model/step-decoder.js';
import { DRUM_COUNT } from '../firmware-ts/pattern/drums.js';
import type { Gestures } from '../firmware-ts/pattern/gesture-layout.js';
import { accent, groove } from '../firmware-ts/pattern/gestures.js';
import { STEPS } from '../firmware-ts/pattern/pattern.js';
import { tensorDataToPattern } from '../firmware-ts/pattern/tensor-layout.js';

/** Step-decoder outputs with random hit logits and values, as an untrained decoder might give. */
function randomRaw(seed: number, hitLogit?: number): Float32Array {
  const rand = mulberry32(seed);
  const raw = new Float32Array(STEPS * STEP_OUTPUT_WIDTH);
  for (let t = 0; t < STEPS; t++) {
    const r = t * STEP_OUTPUT_WIDTH;
    for (let d = 0; d < DRUM_COUNT; d++) {
      raw[r + d] = hitLogit ?? rand() * 4 - 2;
      raw[r + DRUM_COUNT + d] = 0.2 + rand() * 0.6;
      raw[r + 2 * DRUM_COUNT + d] = rand() * 2 - 3;
      raw[r + 3 * DRUM_COUNT + d] = rand() * 0.6 - 0.3;
      raw[r + 4 * DRUM_COUNT + d] = rand() * 2 - 3;
    }
  }
  return raw;
}

const row = (steps: number[]) => Float32Array.from({ length: STEPS }, (_, s) => (steps.includes(s) ? 1 : 0));
const every = (n: number, from = 0) => Array.from({ length: STEPS }, (_, s) => s).filter((s) => s % n === from);

describe('model: drawing the step decoder\u2019s notes', () => {
  it('the loop\u2019s own groove is the given groove, exactly, whatever the decoder drew', () => {
    const given = {
      hits: row(every(2)),
      velocities: Float32Array.from({ length: STEPS }, (_, s) => (s % 2 === 0 ? 0.3 + (s % 5) * 0.1 : 0)),
      offsets: Float32Array.from({ length: STEPS }, (_, s) => (s % 2 === 0 ? ((s % 7) - 3) * 0.1 : 0)),
    };
    const kick = row(every(8));
    const request: Gestures = { drums: [kick, null, null, null, null, null, null, null, null], groove: given };
    for (let seed = 0; seed < 5; seed++) {
      for (const valueTemperature of [0, 1]) {
        const out = drawSteps(randomRaw(seed), [request], { keepGiven: true, valueTemperature }, mulberry32(seed));
        const played = groove(tensorDataToPattern(out, 0));
        expect(Array.from(played.hits), `seed ${seed}`).to.deep.equal(Array.from(given.hits));
        expect(Array.from(played.velocities).map((v) => v.toFixed(5))).to.deep.equal(
          Array.from(given.velocities).map((v) => v.toFixed(5)),
        );
        expect(Array.from(played.offsets).map((v) => v.toFixed(5))).to.deep.equal(
          Array.from(given.offsets).map((v) => v.toFixed(5)),
        );
      }
    }
  });

  it('the loop\u2019s accents (the paper\u2019s rule) are the given accents', () => {
    const hat = row(every(1));
    const kick = row(every(4));
    const given = row(every(4, 1));
    const request: Gestures = { drums: [kick, null, hat, null, null, null, null, null, null], accent: given };
    for (let seed = 0; seed < 5; seed++) {
      const out = drawSteps(randomRaw(seed), [request], { keepGiven: true }, mulberry32(seed));
      expect(Array.from(accent(tensorDataToPattern(out, 0))), `seed ${seed}`).to.deep.equal(Array.from(given));
    }
  });

  it('drums left to the model are drawn at its rate; a given drum is read at its likeliest', () => {
    // Every hit logit 0: a probability of one half everywhere.
    const raw = randomRaw(1, 0);
    const snare = row([]);
    const request: Gestures = { drums: [null, snare, null, null, null, null, null, null, null] };
    const out = tensorDataToPattern(drawSteps(raw, [request], {}, mulberry32(4)), 0);
    let kicks = 0;
    for (let s = 0; s < STEPS; s++) {
      if (out.hit(s, 0)) kicks++;
      expect(out.hit(s, 1), `snare at ${s}`).to.equal(false);
    }
    expect(kicks).to.be.within(8, 24);
    const thresholded = tensorDataToPattern(drawSteps(raw, [request], { hits: 'threshold' }, mulberry32(4)), 0);
    expect(Array.from({ length: STEPS }, (_, s) => thresholded.hit(s, 0)).filter(Boolean)).to.have.length(0);
  });
});
