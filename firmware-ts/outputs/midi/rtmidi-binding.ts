import { createRequire } from 'node:module';
import { missingAlsaSequencer } from '../sound-devices.js';

/**
 * easymidi's own native binding, @julusian/midi, loaded from easymidi's
 * folder so it is the very one easymidi runs on. The box reaches past
 * easymidi for what it does not expose: port lists that close their ALSA
 * client at once, and RtMidi's arrival stamps on input. Throws when it
 * cannot be loaded; callers decide what that means.
 */
export function easymidiBinding(): unknown {
  const fromEasymidi = createRequire(createRequire(import.meta.url).resolve('easymidi'));
  return fromEasymidi('@julusian/midi');
}

/**
 * Whether the ALSA sequencer RtMidi needs is there (always true off Linux:
 * RtMidi's own error says). Without it each RtMidi attempt prints lines from
 * C, so a failed open is not tried again until it appears.
 */
export async function alsaSequencerPresent(): Promise<boolean> {
  return (await missingAlsaSequencer()) === null;
}
