import { readdir, readFile } from 'node:fs/promises';

/**
 * Whether the sound card and the ALSA sequencer are there, looked up in the
 * kernel's own files before any native library is asked. ALSA's library
 * prints its failures from C straight to stderr (eight lines for a missing
 * card, more for a missing sequencer), which looks like a crash; when the
 * files say the device is not there, the box says so in one line instead and
 * does not open it. Off Linux there are no such files: the native library is
 * asked and its own error is the answer.
 */
export interface SoundDevicePaths {
  /** The kernel's list of sound cards ("--- no soundcards ---" when there is none). */
  cards: string;
  /** ALSA's device nodes: pcmC<card>D<device>p for playback, seq for the sequencer. */
  snd: string;
}

export const SYSTEM_SOUND_PATHS: SoundDevicePaths = { cards: '/proc/asound/cards', snd: '/dev/snd' };

export interface SoundDeviceOptions {
  paths?: SoundDevicePaths;
  platform?: NodeJS.Platform;
}

/** Null when a sound card can play; otherwise why not, in words for the box's one line. */
export async function missingSoundCard(options: SoundDeviceOptions = {}): Promise<string | null> {
  const { paths = SYSTEM_SOUND_PATHS, platform = process.platform } = options;
  if (platform !== 'linux') return null;
  let cards: string;
  try {
    cards = await readFile(paths.cards, 'utf8');
  } catch {
    return `no sound support in the kernel (${paths.cards} missing)`;
  }
  // Each card is a line starting with its number: " 0 [Headphones ]: bcm2835_headphon - bcm2835 Headphones".
  if (!/^\s*\d+\s*\[/m.test(cards)) return `no sound card (${paths.cards} lists none)`;
  const nodes = await readdir(paths.snd).catch(() => [] as string[]);
  if (!nodes.some((name) => /^pcmC\d+D\d+p$/.test(name)))
    return `no sound card to play on (no playback device in ${paths.snd})`;
  return null;
}

/** Null when the ALSA sequencer (MIDI ports) is there; otherwise why not. */
export async function missingAlsaSequencer(options: SoundDeviceOptions = {}): Promise<string | null> {
  const { paths = SYSTEM_SOUND_PATHS, platform = process.platform } = options;
  if (platform !== 'linux') return null;
  const nodes = await readdir(paths.snd).catch(() => null);
  if (nodes === null || !nodes.includes('seq'))
    return `no ALSA sequencer, ${paths.snd}/seq is missing; modprobe snd-seq`;
  return null;
}
