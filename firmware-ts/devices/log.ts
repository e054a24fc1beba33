/**
 * Namespaced device logging (`groovebox:i2c`, `groovebox:gpio`, ...). Drivers
 * take a DeviceLog so tests can count messages (e.g. "logged once, not per poll").
 */
export interface DeviceLog {
  debug(message: LogMessage): void;
  info(message: string): void;
  warn(message: string): void;
}

/**
 * A debug line can be a function: it is called only when debug lines are on,
 * so a line per tap or per key costs no formatting in a box that runs quiet.
 */
export type LogMessage = string | (() => string);

export function messageText(message: LogMessage): string {
  return typeof message === 'function' ? message() : message;
}

/**
 * For a driver used on its own: information to stdout, problems and debug lines
 * to stderr, as the box's log (box/log.ts) splits them; debug lines only when
 * GROOVEBOX_DEBUG names the namespace (or is "*"). In the box, discovery hands
 * the drivers the box's own log instead.
 */
export function consoleLog(namespace: string): DeviceLog {
  const debugOn = (): boolean => {
    const wanted = process.env.GROOVEBOX_DEBUG ?? '';
    return wanted === '*' || wanted.split(',').some((n) => n.trim() === namespace);
  };
  return {
    debug: (m) => { if (debugOn()) process.stderr.write(`${namespace} ${messageText(m)}\n`); },
    info: (m) => process.stdout.write(`${namespace} ${m}\n`),
    warn: (m) => process.stderr.write(`${namespace} ${m}\n`),
  };
}

export const silentLog: DeviceLog = { debug() {}, info() {}, warn() {} };

/** A log that remembers every line: a test instrument. */
export class MemoryLog implements DeviceLog {
  readonly lines: { level: 'debug' | 'info' | 'warn'; message: string }[] = [];
  debug(message: LogMessage): void { this.lines.push({ level: 'debug', message: messageText(message) }); }
  info(message: string): void { this.lines.push({ level: 'info', message }); }
  warn(message: string): void { this.lines.push({ level: 'warn', message }); }
  count(level: 'debug' | 'info' | 'warn', contains = ''): number {
    return this.lines.filter((l) => l.level === level && l.message.includes(contains)).length;
  }
}
