import fs from 'node:fs';
import path from 'node:path';

/**
 * Which USB sound devices are plugged in, and since when: each ALSA card of a
 * USB device has /proc/asound/cardN/usbbus, "bus/device" ("001/007"), and the
 * kernel gives a device a new device number each time it is plugged in. A
 * MIDI interface pulled and plugged back in quicker than the port list is
 * looked at comes back under the same port name, with the port the box had
 * open dead (RtMidi on ALSA sends into the void); this string changes.
 * Null where there is no /proc/asound (not Linux, no sound support).
 * Small proc files, read in a gap between sends (see MidiOut's presence check).
 */
export function usbSoundDevices(procAsound = '/proc/asound'): string | null {
  let cards: string[];
  try {
    cards = fs
      .readdirSync(procAsound)
      .filter((name) => /^card\d+$/.test(name))
      .sort();
  } catch {
    return null;
  }
  const found: string[] = [];
  for (const card of cards) {
    try {
      found.push(`${card} ${fs.readFileSync(path.join(procAsound, card, 'usbbus'), 'utf8').trim()}`);
    } catch {
      // not a USB card (the Pi's own audio, HDMI)
    }
  }
  return found.join(', ');
}
