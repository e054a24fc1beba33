import { expect } from 'chai';
import { OnsetDetector } from '../firmware-ts/devices/tap-pad/onset-detector.js';
import type { TapHit } from '../firmware-ts/devices/interfaces.js';

const RATE = 860;

/** A recorded-like stream: a ringing decaying burst per stroke (peak = amplitude) plus optional noise. */
function stream(
  seconds: number,
  strokes: { at: number; amplitude: number }[],
  noise = 0,
  seed = 7,
): { level: number; time: number }[] {
  let s = seed;
  const random = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const out: { level: number; time: number }[] = [];
  for (let i = 0; i < seconds * RATE; i++) {
    const t = i / RATE;
    let v = 0;
    for (const { at, amplitude } of strokes) {
      const dt = t - at;
      if (dt >= 0) v += amplitude * Math.exp(-dt / 0.02) * Math.abs(Math.cos(2 * Math.PI * 190 * dt));
    }
    v += (random() * 2 - 1) * noise;
    out.push({ level: Math.max(0, v), time: t });
  }
  return out;
}

function detect(samples: { level: number; time: number }[], options = {}): TapHit[] {
  const d = new OnsetDetector(options);
  const hits: TapHit[] = [];
  for (const { level, time } of samples) {
    const hit = d.push(level, time);
    if (hit) hits.push(hit);
  }
  return hits;
}

describe('devices: tap-pad onset detection', () => {
  it('finds each stroke once, at the threshold-crossing sample, not at the end of the scan', () => {
    const hits = detect(
      stream(2, [
        { at: 0.5, amplitude: 0.6 },
        { at: 1.0, amplitude: 0.2 },
      ]),
    );
    expect(hits).to.have.length(2);
    expect(hits[0].time).to.be.closeTo(0.5, 1.5 / RATE);
    expect(hits[1].time).to.be.closeTo(1.0, 1.5 / RATE);
  });

  it('suppresses double triggers from the ringing of a hard stroke', () => {
    // A hard stroke rings well above threshold for ~80 ms: beyond the 40 ms mask, the decaying retrigger threshold must hold.
    const hits = detect(stream(1.5, [{ at: 0.5, amplitude: 0.8 }]));
    expect(hits).to.have.length(1);
  });

  it('still hears a fast roll after the mask time', () => {
    const hits = detect(
      stream(
        1.5,
        [0.5, 0.56, 0.62, 0.68].map((at) => ({ at, amplitude: 0.5 })),
      ),
    );
    expect(hits.map((h) => Math.round(h.time * 100))).to.deep.equal([50, 56, 62, 68]);
  });

  it('takes velocity from the peak through the curve: louder is higher, within 0..1', () => {
    const hits = detect(
      stream(
        3,
        [0.5, 1, 1.5, 2].map((at, i) => ({ at, amplitude: [0.1, 0.3, 0.5, 0.8][i] })),
      ),
    );
    const v = hits.map((h) => h.velocity);
    expect(v).to.have.length(4);
    for (let i = 1; i < 4; i++) expect(v[i]).to.be.greaterThan(v[i - 1]);
    expect(v[3]).to.be.at.most(1);
    expect(v[0]).to.be.at.least(0.05);
    // gamma changes the curve, not the order
    const linear = detect(stream(1, [{ at: 0.5, amplitude: 0.3 }]), { gamma: 1 })[0].velocity;
    const soft = detect(stream(1, [{ at: 0.5, amplitude: 0.3 }]), { gamma: 0.5 })[0].velocity;
    expect(soft).to.be.greaterThan(linear);
  });

  it('a stuck ADC does not flood phantom taps', () => {
    const stuck = Array.from({ length: 10 * RATE }, (_, i) => ({ level: 0.5, time: i / RATE }));
    expect(detect(stuck).length).to.be.at.most(1);
    // stuck after working normally
    const samples = stream(1, [{ at: 0.4, amplitude: 0.5 }]).concat(
      Array.from({ length: 5 * RATE }, (_, i) => ({ level: 0.7, time: 1 + i / RATE })),
    );
    expect(detect(samples).length).to.be.at.most(2);
  });

  it('a noisy ADC does not flood phantom taps, and real strokes still come through', () => {
    const noisy = stream(10, [], 0.1);
    expect(detect(noisy).length).to.be.at.most(1);
    const withStrokes = detect(
      stream(
        4,
        [
          { at: 2, amplitude: 0.7 },
          { at: 3, amplitude: 0.7 },
        ],
        0.1,
      ),
    );
    expect(withStrokes.length).to.equal(2);
  });

  it('validates options, naming the option, the expectation and the value', () => {
    expect(() => new OnsetDetector({ threshold: 2 })).to.throw(
      /tap pad threshold: expected a level between 0 and 1, got 2/,
    );
    expect(() => new OnsetDetector({ maskTime: 0.001, scanTime: 0.003 })).to.throw(/maskTime/);
  });
});
