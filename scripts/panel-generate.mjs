#!/usr/bin/env node
// Presses GENERATE on a running box's virtual front panel, as a page would, and waits for the loop the
// model made: proves the panel socket, the generation worker and the model end to end (scripts/check-pi.sh).
// Usage: node scripts/panel-generate.mjs PORT [TIMEOUT_SECONDS]   (the panel on 127.0.0.1, no token)
// One line on stdout when a loop came back (exit 0), else one line on stderr (exit 1).
// Plain JavaScript with the project's own `ws`, so it runs on an installed box without a build.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [portText, timeoutText = '300'] = process.argv.slice(2);
const port = Number(portText);
const timeoutSeconds = Number(timeoutText);
if (!Number.isInteger(port) || port <= 0 || port > 65535) fail(`PORT: expected 1..65535, got "${portText}"`);
if (!(timeoutSeconds > 0)) fail(`TIMEOUT_SECONDS: expected a positive number, got "${timeoutText}"`);

const requireFromProject = createRequire(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'package.json'));
const WebSocket = requireFromProject('ws');

function fail(message) {
  process.stderr.write(`panel-generate: ${message}\n`);
  process.exit(1);
}

const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`);
const timer = setTimeout(
  () => fail(`no generated loop within ${timeoutSeconds} s of pressing GENERATE`),
  timeoutSeconds * 1000,
);
let pressed = false;
/** Whether a snapshot since the press said a generation is running (one at boot may have finished before). */
let sawGenerating = false;

function press(pressedDown) {
  socket.send(JSON.stringify({ type: 'button', button: 'generate', pressed: pressedDown, time: performance.now() }));
}

socket.on('error', (err) => fail(`ws://127.0.0.1:${port}/ws: ${err.message}`));
socket.on('close', (code) => fail(`the panel closed the socket (code ${code}) before a loop came back`));
socket.on('message', (data) => {
  const message = JSON.parse(String(data));
  if (message.type === 'ping') socket.send(JSON.stringify({ type: 'pong', id: message.id, time: performance.now() }));
  if (message.type === 'error') fail(`the panel refused a message: ${message.error}`);
  if (message.type !== 'snapshot') return;
  const snapshot = message.snapshot;
  if (!pressed) {
    pressed = true;
    press(true);
    press(false);
    return;
  }
  if (snapshot.generating) sawGenerating = true;
  // The press shows as `generating`; the loop it asked for comes with the model's reconstructions.
  if (sawGenerating && !snapshot.generating && snapshot.reconstructions !== null) {
    const hits = snapshot.pattern?.notes?.length ?? 0;
    process.stdout.write(
      `panel-generate: GENERATE on the panel brought a loop from model ${snapshot.model}: ${hits} hits in the loop now playing\n`,
    );
    clearTimeout(timer);
    socket.removeAllListeners('close');
    socket.close();
    process.exit(0);
  }
});
