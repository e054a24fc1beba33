import { messageText, type LogMessage } from '../devices/log.js';

/**
 * Namespaced, one-line-per-event logging for the daemon (`groovebox:box`,
 * `groovebox:slots`, ...). Under systemd, stdout and stderr go to the journal,
 * which adds the time stamp, so lines carry none. Information goes to stdout,
 * problems to stderr, so `journalctl -p warning` shows only what needs a look.
 * Compatible with the devices' DeviceLog (debug/info/warn), so one log can be
 * handed to discovery and drivers too.
 */
export interface BoxLog {
  /** A function is called only when GROOVEBOX_DEBUG names the namespace: nothing is formatted otherwise. */
  debug(message: LogMessage): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface LogSink {
  out(line: string): void;
  err(line: string): void;
}

const processSink: LogSink = {
  out: (line) => process.stdout.write(line),
  err: (line) => process.stderr.write(line),
};

/** A multi-line message (a stack) would break "one line per event" in the journal; it is folded. */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' | ');
}

export function namespacedLog(namespace: string, sink: LogSink = processSink): BoxLog {
  const debugOn = (): boolean => {
    const wanted = process.env.GROOVEBOX_DEBUG ?? '';
    return wanted === '*' || wanted.split(',').some((n) => n.trim() === namespace);
  };
  return {
    debug: (m) => { if (debugOn()) sink.err(`${namespace} ${oneLine(messageText(m))}\n`); },
    info: (m) => sink.out(`${namespace} ${oneLine(m)}\n`),
    warn: (m) => sink.err(`${namespace} ${oneLine(m)}\n`),
    error: (m) => sink.err(`${namespace} ${oneLine(m)}\n`),
  };
}

/** Hands out loggers for sub-namespaces: `logs.get('slots')` -> groovebox:slots. */
export type LogFactory = (name: string) => BoxLog;

export function processLogs(sink: LogSink = processSink): LogFactory {
  return (name) => namespacedLog(`groovebox:${name}`, sink);
}

/** A test instrument: every line of every namespace, in order. */
export class MemoryLogs {
  readonly lines: { namespace: string; level: 'debug' | 'info' | 'warn' | 'error'; message: string }[] = [];

  /** Keeps the last `limit` lines (a long run logs a line per generation; tests keep them all). */
  constructor(readonly limit = Infinity) {}

  readonly factory: LogFactory = (name) => {
    const namespace = `groovebox:${name}`;
    const push = (level: 'debug' | 'info' | 'warn' | 'error') => (message: LogMessage) => {
      this.lines.push({ namespace, level, message: oneLine(messageText(message)) });
      if (this.lines.length > this.limit) this.lines.shift();
    };
    return { debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
  };

  count(contains: string, level?: 'debug' | 'info' | 'warn' | 'error'): number {
    return this.lines.filter((l) => l.message.includes(contains) && (!level || l.level === level)).length;
  }

  text(): string {
    return this.lines.map((l) => `${l.namespace} ${l.message}`).join('\n');
  }
}
