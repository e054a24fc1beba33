/**
 * The virtual front panel: a web page served by the daemon that is one more
 * implementation of the front panel's devices (grid, tap pad, buttons, tempo).
 * The daemon attaches its gesture code to `PanelServer.devices` exactly as to
 * the hardware and pushes its state to the pages with `publish`.
 */
export { PanelServer, PanelConfigError, DEFAULT_PANEL_HOST, DEFAULT_PANEL_PORT, DEFAULT_MAX_PAYLOAD, MIN_TOKEN_LENGTH, PAGE_DIR, tokenMatches, type PanelServerOptions, type ExportProvider } from './server.js';
export { isLoopbackAddress } from './bind-rules.js';
export { PanelSession, RESYNC_INTERVAL, ANSWER_DEADLINE } from './session.js';
export { RefusalLog, REFUSAL_SUMMARY_INTERVAL, MAX_ECHOED_CHARS, echoHeader, type RefusalKind } from './refusal-log.js';
export { PageClockSync, MAX_EVENT_AGE, type SyncSample } from './clock-sync.js';
export { VirtualStepGrid, VirtualTapPad, VirtualButtons, VirtualTempo } from './virtual-devices.js';
export * from './protocol.js';
