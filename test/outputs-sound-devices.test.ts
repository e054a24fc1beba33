import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEasyMidiPort } from '../firmware-ts/outputs/midi/easymidi-port.js';
import { MidiPortError } from '../firmware-ts/outputs/midi/midi-port.js';
import { missingAlsaSequencer, missingSoundCard, type SoundDevicePaths } from '../firmware-ts/outputs/sound-devices.js';

/** A fake /proc/asound/cards and /dev/snd in a temp folder. */
function fakeSystem(cards: string | null, nodes: string[]): { paths: SoundDevicePaths; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groovebox-snd-'));
  const paths = { cards: path.join(dir, 'cards'), snd: path.join(dir, 'snd') };
  if (cards !== null) fs.writeFileSync(paths.cards, cards);
  if (nodes.length > 0) fs.mkdirSync(paths.snd);
  for (const node of nodes) fs.writeFileSync(path.join(paths.snd, node), '');
  return { paths, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const PI_CARDS =
  ' 0 [Headphones     ]: bcm2835_headphonbcm2835 Headphones - bcm2835 Headphones\n                      bcm2835 Headphones\n';

describe('outputs: the sound card and the ALSA sequencer are looked up before native code opens them', () => {
  it('a card listed with a playback device is there', async () => {
    const sys = fakeSystem(PI_CARDS, ['controlC0', 'pcmC0D0p', 'seq', 'timer']);
    try {
      expect(await missingSoundCard({ paths: sys.paths, platform: 'linux' })).to.equal(null);
      expect(await missingAlsaSequencer({ paths: sys.paths, platform: 'linux' })).to.equal(null);
    } finally {
      sys.remove();
    }
  });

  it('no card file, a card list saying none, a card without playback, no seq node: each says why in words', async () => {
    const none = fakeSystem(null, []);
    const empty = fakeSystem('--- no soundcards ---\n', ['seq']);
    const captureOnly = fakeSystem(PI_CARDS, ['controlC0', 'pcmC0D0c']);
    try {
      expect(await missingSoundCard({ paths: none.paths, platform: 'linux' })).to.match(
        /^no sound support in the kernel \(.*cards missing\)$/,
      );
      expect(await missingSoundCard({ paths: empty.paths, platform: 'linux' })).to.match(
        /^no sound card \(.*cards lists none\)$/,
      );
      expect(await missingSoundCard({ paths: captureOnly.paths, platform: 'linux' })).to.match(
        /^no sound card to play on/,
      );
      expect(await missingAlsaSequencer({ paths: none.paths, platform: 'linux' })).to.match(
        /^no ALSA sequencer, .*snd\/seq is missing; modprobe snd-seq$/,
      );
      expect(await missingAlsaSequencer({ paths: captureOnly.paths, platform: 'linux' })).to.match(
        /^no ALSA sequencer/,
      );
      expect(await missingAlsaSequencer({ paths: empty.paths, platform: 'linux' })).to.equal(null);
    } finally {
      [none, empty, captureOnly].forEach((s) => s.remove());
    }
  });

  it('off Linux nothing is looked up: the native library answers', async () => {
    const none = fakeSystem(null, []);
    try {
      expect(await missingSoundCard({ paths: none.paths, platform: 'darwin' })).to.equal(null);
      expect(await missingAlsaSequencer({ paths: none.paths, platform: 'darwin' })).to.equal(null);
    } finally {
      none.remove();
    }
  });

  it("a MIDI output is not opened without a sequencer: the box's own error, marked unavailable", async () => {
    const none = fakeSystem(null, []);
    try {
      const missingSequencer = () => missingAlsaSequencer({ paths: none.paths, platform: 'linux' });
      const failure = await openEasyMidiPort({ missingSequencer }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(failure).to.be.instanceOf(MidiPortError);
      expect((failure as MidiPortError).unavailable).to.equal(true);
      expect((failure as MidiPortError).message).to.match(/^no ALSA sequencer/);
    } finally {
      none.remove();
    }
  });
});
