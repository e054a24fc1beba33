/**
 * The nine drum classes of the Groove MIDI Dataset models and the map from the
 * Roland TD-11 / General MIDI pitches the dataset uses onto them. This is the
 * reduction Magenta's GrooVAE trains on; it covers every pitch in the dataset.
 */
export const DRUMS = ['kick', 'snare', 'closedHat', 'openHat', 'lowTom', 'midTom', 'highTom', 'crash', 'ride'] as const;

export type DrumName = (typeof DRUMS)[number];
export const DRUM_COUNT = DRUMS.length;

/** Input pitches per class: the first one is the canonical General MIDI note. */
export const DRUM_PITCHES: Readonly<Record<DrumName, readonly number[]>> = {
  kick: [36],
  snare: [38, 37, 40],
  closedHat: [42, 22, 44],
  openHat: [46, 26],
  lowTom: [43, 58],
  midTom: [47, 45],
  highTom: [50, 48],
  crash: [49, 52, 55, 57],
  ride: [51, 53, 59],
};

/** Default output pitch per class (General MIDI). */
export const DEFAULT_OUTPUT_PITCHES: readonly number[] = [36, 38, 42, 46, 45, 47, 50, 49, 51];

const pitchToDrum = new Map<number, number>();
DRUMS.forEach((name, index) => {
  for (const pitch of DRUM_PITCHES[name]) pitchToDrum.set(pitch, index);
});

/** Drum index of a MIDI pitch, or -1 when the pitch is not part of the kit. */
export function drumIndexOfPitch(pitch: number): number {
  return pitchToDrum.get(pitch) ?? -1;
}

/** Drum index of a name such as "kick" (case-insensitive; "hihat"/"hat" aliases the closed hat). */
export function drumIndexOfName(name: string): number {
  const key = name.trim().toLowerCase().replace(/[-_ ]/g, '');
  const aliases: Record<string, DrumName> = {
    bd: 'kick',
    bass: 'kick',
    sd: 'snare',
    hh: 'closedHat',
    hat: 'closedHat',
    hihat: 'closedHat',
    ch: 'closedHat',
    closedhihat: 'closedHat',
    oh: 'openHat',
    openhihat: 'openHat',
    cymbal: 'crash',
    lt: 'lowTom',
    mt: 'midTom',
    ht: 'highTom',
    tom: 'midTom',
  };
  const resolved = aliases[key] ?? DRUMS.find((d) => d.toLowerCase() === key);
  return resolved === undefined ? -1 : DRUMS.indexOf(resolved);
}
