import type { AudioContext as NodeAudioContext } from 'node-web-audio-api';
import { missingSoundCard } from '../sound-devices.js';

export interface OpenedAudio {
  context: NodeAudioContext;
  /** False when no sound card could be opened and the context renders into a silent sink. */
  audible: boolean;
}

/**
 * Opens a real-time AudioContext on the default sound card; without one
 * (this build machine, a Pi with no DAC) falls back to a context on a silent
 * sink, which still runs its clock and graph, and says so.
 */
export async function openAudioContext(
  log: (message: string) => void = (m) => process.stderr.write(`groovebox:audio ${m}\n`),
  missingCard: () => Promise<string | null> = missingSoundCard,
): Promise<OpenedAudio> {
  const { AudioContext } = await import('node-web-audio-api');
  const options = { sinkId: { type: 'none' } } as unknown as AudioContextOptions;
  // Looked up first: opening a card that is not there makes ALSA print its failures from C.
  const missing = await missingCard();
  if (missing) {
    log(`${missing}; audio runs on a silent sink`);
    return { context: new AudioContext(options), audible: false };
  }
  try {
    return { context: new AudioContext({ latencyHint: 'interactive' }), audible: true };
  } catch (error) {
    log(`no sound card (${(error as Error).message.split('\n')[0]}); audio runs on a silent sink`);
    return { context: new AudioContext(options), audible: false };
  }
}
