// The virtual front panel in the browser. It is a device, not an app: it
// sends what the hands do (keys, taps, buttons, knob turns) with the page's
// own timestamps, and draws whatever state the daemon publishes. All the
// musical logic stays in the daemon; the names, colours and sizes come from
// the daemon's own modules (bundled by esbuild), so the two cannot drift.

import type { PanelSnapshot, ServerMessage } from '../protocol.js';
import { build } from './controls.js';
import { $ } from './dom.js';
import { addMessage, lcdSeen, render, renderLeds } from './draw.js';
import { createHands } from './hands.js';
import { PageAudio, type NoteTuple } from './page-audio.js';
import { MicrophoneSection } from './page-microphone.js';
import { MidiInSection } from './page-midi-in.js';
import { messagesFor } from './page-view.js';
import { connect, send } from './socket.js';

const params = new URLSearchParams(location.search || location.hash.slice(1));
const token = params.get('token');

let snapshot: PanelSnapshot | null = null;
const audio = new PageAudio();
const hands = createHands(audio, () => snapshot);
/** What tests read: the page's audio and every LCD state line shown, in order. */
(window as unknown as { groovebox: unknown }).groovebox = { audio, lcdSeen };

function onMessage(m: ServerMessage): void {
  switch (m.type) {
    case 'ping':
      // Answer at once with our clock: the daemon estimates the offset from the round trip.
      send({ type: 'pong', id: m.id, time: performance.now() });
      break;
    case 'clock':
      audio.setClockOffset(m.offset);
      break;
    case 'leds':
      renderLeds(m.leds);
      break;
    case 'snapshot': {
      const previous = snapshot;
      snapshot = m.snapshot;
      for (const line of messagesFor(previous, snapshot)) addMessage(line);
      audio.setLoop((snapshot.pattern?.notes ?? []) as NoteTuple[], snapshot.transport ?? null);
      render(snapshot);
      midiIn?.render(snapshot);
      microphone?.render(snapshot);
      break;
    }
    case 'error':
      addMessage(`error: ${m.error}`, 'error');
      document.body.dataset.errors = String(Number(document.body.dataset.errors || 0) + 1);
      break;
    case 'hello':
      break;
  }
}

function setConnection(text: string, ok: boolean): void {
  $('connection').textContent = text;
  $('connection').classList.toggle('ok', ok);
  document.body.dataset.connected = ok ? '1' : '0';
}

build(hands, audio, token);
const messagesTitle = document.getElementById('messages')?.previousElementSibling ?? null;
const midiIn = new MidiInSection(messagesTitle, send);
const microphone = new MicrophoneSection(messagesTitle, send);
connect(token, {
  open: () => setConnection('connected', true),
  message: onMessage,
  close: (reason) => {
    hands.forget();
    setConnection(`disconnected (${reason}); retrying…`, false);
  },
});
