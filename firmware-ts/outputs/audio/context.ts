import type { AudioContext as NodeAudioContext } from 'node-web-audio-api';

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
export async function openAudioContext(log: (message: string) => void = (m) => process.stderr.write(`groovebox:audio ${m}\n`)): Promise<OpenedAudio> {
  const { AudioContext } = await import('node-web-audio-api');
  try {
    return { context: new AudioContext({ latencyHint: 'interactive' }), audible: true };
  } catch (error) {
    log(`no sound card (${(error as Error).message.split('\n')[0]}); audio runs on a silent sink`);
    const options = { sinkId: { type: 'none' } } as unknown as AudioContextOptions;
    return { context: new AudioContext(options), audible: false };
  }
}
