/** A MIDI file that cannot be used, with the file named in the message. */
export class MidiFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'MidiFileError';
  }
}
