/**
 * How a pattern velocity (0..1) becomes a MIDI velocity (1..127).
 *  - linear: as recorded
 *  - gamma:  v^gamma; gamma < 1 lifts ghost notes (machines whose quiet hits vanish), > 1 deepens accents
 *  - fixed:  every hit the same (machines with accent instead of velocity)
 */
export type VelocityCurve = { kind: 'linear' } | { kind: 'gamma'; gamma: number } | { kind: 'fixed'; velocity: number };

export const LINEAR: VelocityCurve = { kind: 'linear' };

export function validateVelocityCurve(curve: VelocityCurve, where = 'velocityCurve'): VelocityCurve {
  if (curve.kind === 'gamma' && !(curve.gamma > 0 && curve.gamma <= 10)) {
    throw new RangeError(`${where}.gamma: expected a number in (0, 10], got ${curve.gamma}`);
  }
  if (curve.kind === 'fixed' && !(Number.isInteger(curve.velocity) && curve.velocity >= 1 && curve.velocity <= 127)) {
    throw new RangeError(`${where}.velocity: expected an integer 1..127, got ${curve.velocity}`);
  }
  if (!['linear', 'gamma', 'fixed'].includes(curve.kind)) {
    throw new RangeError(
      `${where}.kind: expected linear, gamma or fixed, got ${JSON.stringify((curve as { kind: unknown }).kind)}`,
    );
  }
  return curve;
}

/** Never 0: a note-on with velocity 0 is a note-off on the wire. */
export function toMidiVelocity(velocity: number, curve: VelocityCurve = LINEAR): number {
  if (curve.kind === 'fixed') return curve.velocity;
  const v = velocity < 0 ? 0 : velocity > 1 ? 1 : velocity;
  const shaped = curve.kind === 'gamma' ? Math.pow(v, curve.gamma) : v;
  return Math.max(1, Math.min(127, Math.round(shaped * 127)));
}
