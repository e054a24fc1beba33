/** MIDI 1.0 message bytes. Channels here are 1..16 as printed on devices; the wire uses 0..15. */

export const CLOCK = 0xf8;
export const START = 0xfa;
export const CONTINUE = 0xfb;
export const STOP = 0xfc;

export function noteOn(channel: number, note: number, velocity: number): number[] {
  return [0x90 | (channel - 1), note, velocity];
}

/** A real note-off (0x80), not note-on velocity 0: some drum machines only release on 0x80. */
export function noteOff(channel: number, note: number): number[] {
  return [0x80 | (channel - 1), note, 0];
}

/** Control change 123, All Notes Off: releases whatever the device still holds on that channel. */
export function allNotesOff(channel: number): number[] {
  return [0xb0 | (channel - 1), 123, 0];
}

/** Song position pointer: 14-bit count of MIDI beats (1 beat = 6 clocks = one 16th note), LSB first. */
export function songPosition(sixteenths: number): number[] {
  const value = Math.max(0, Math.floor(sixteenths)) & 0x3fff;
  return [0xf2, value & 0x7f, value >> 7];
}
