/**
 * Namespaced, one-line-per-event logging (`groovebox:box`, `groovebox:i2c`,
 * ...), the one log of the whole tree: the box hands sub-logs out of a
 * LogFactory, a driver used on its own makes one with namespacedLog. Under
 * systemd, stdout and stderr go to the journal, which adds the time stamp, so
 * lines carry none. Information goes to stdout, problems and debug lines to
 * stderr, so `journalctl -p warning` shows only what needs a look.
 */
export interface Log {
  /** A function is called only when GROOVEBOX_DEBUG names the namespace: nothing is formatted otherwise. */
  debug(message: LogMessage): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What a device driver needs of a log (a driver reports no errors of its own: it warns and retries). */
export type DeviceLog = Pick<Log, 'debug' | 'info' | 'warn'>;

/**
 * A debug line can be a function: it is called only when debug lines are on,
 * so a line per tap or per key costs no formatting in a box that runs quiet.
 */
export type LogMessage = string | (() => string);

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export function messageText(message: LogMessage): string {
  return typeof message === 'function' ? message() : message;
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

/** GROOVEBOX_DEBUG: a comma-separated list of namespaces, or "*" for all; read at each line, so it can change at run time. */
function debugOn(namespace: string): boolean {
  const wanted = process.env.GROOVEBOX_DEBUG ?? '';
  return wanted === '*' || wanted.split(',').some((n) => n.trim() === namespace);
}

export function namespacedLog(namespace: string, sink: LogSink = processSink): Log {
  return {
    debug: (m) => {
      if (debugOn(namespace)) sink.err(`${namespace} ${oneLine(messageText(m))}\n`);
    },
    info: (m) => sink.out(`${namespace} ${oneLine(m)}\n`),
    warn: (m) => sink.err(`${namespace} ${oneLine(m)}\n`),
    error: (m) => sink.err(`${namespace} ${oneLine(m)}\n`),
  };
}

/** Hands out loggers for sub-namespaces: `logs('slots')` -> groovebox:slots. */
export type LogFactory = (name: string) => Log;

export function processLogs(sink: LogSink = processSink): LogFactory {
  return (name) => namespacedLog(`groovebox:${name}`, sink);
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

interface LoggedLine {
  namespace: string;
  level: LogLevel;
  message: string;
}

/** A test instrument: every line of every namespace, in order. */
export class MemoryLogs {
  readonly lines: LoggedLine[] = [];

  /** Keeps the last `limit` lines (a long run logs a line per generation; tests keep them all). */
  constructor(readonly limit = Infinity) {}

  readonly factory: LogFactory = (name) => this.log(`groovebox:${name}`);

  /** A log whose lines land here under `namespace` as given. */
  log(namespace: string): Log {
    const push = (level: LogLevel) => (message: LogMessage) => {
      this.lines.push({ namespace, level, message: oneLine(messageText(message)) });
      if (this.lines.length > this.limit) this.lines.shift();
    };
    return { debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
  }

  count(contains: string, level?: LogLevel): number {
    return this.lines.filter((l) => l.message.includes(contains) && (!level || l.level === level)).length;
  }

  text(): string {
    return this.lines.map((l) => `${l.namespace} ${l.message}`).join('\n');
  }
}

/** A test instrument for one driver: the lines of a single log, counted by level. */
export class MemoryLog implements Log {
  readonly #logs = new MemoryLogs();
  readonly #log = this.#logs.log('');

  get lines(): readonly LoggedLine[] {
    return this.#logs.lines;
  }

  debug(message: LogMessage): void {
    this.#log.debug(message);
  }
  info(message: string): void {
    this.#log.info(message);
  }
  warn(message: string): void {
    this.#log.warn(message);
  }
  error(message: string): void {
    this.#log.error(message);
  }

  count(level: LogLevel, contains = ''): number {
    return this.#logs.count(contains, level);
  }
}
