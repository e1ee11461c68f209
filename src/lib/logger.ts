/**
 * One line per event: `time level [component] event key=value …`, or one JSON object per line.
 * Every line passes through the redactor, so a secret that slips into a field or an error
 * message is masked here rather than trusted to every caller.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'text' | 'json';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(component: string): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  write?: (line: string) => void;
  /** Strings that must never be printed (API keys, webhook secrets). */
  secrets?: () => readonly string[];
  now?: () => number;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    // Short strings would mask ordinary words; real secrets are long.
    if (secret.length >= 6) out = out.split(secret).join('[redacted]');
  }
  return out;
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'string') return /^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value);
  if (value === undefined) return 'undefined';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function createLogger(options: LoggerOptions = {}, component = 'cappulse'): Logger {
  const threshold = ORDER[options.level ?? 'info'];
  const format = options.format ?? 'text';
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const secrets = options.secrets ?? (() => []);
  const now = options.now ?? Date.now;

  const log = (level: LogLevel, event: string, fields: LogFields = {}) => {
    if (ORDER[level] < threshold) return;
    const time = new Date(now()).toISOString();
    let line: string;
    if (format === 'json') {
      const plain: LogFields = {};
      for (const [key, value] of Object.entries(fields)) plain[key] = value instanceof Error ? value.message : value;
      line = JSON.stringify({ time, level, component, event, ...plain });
    } else {
      const pairs = Object.entries(fields)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => `${key}=${formatValue(value)}`);
      line = [time, level.toUpperCase().padEnd(5), `[${component}]`, event, ...pairs].join(' ');
    }
    write(redact(line, secrets()));
  };

  return {
    debug: (event, fields) => log('debug', event, fields),
    info: (event, fields) => log('info', event, fields),
    warn: (event, fields) => log('warn', event, fields),
    error: (event, fields) => log('error', event, fields),
    child: (name) => createLogger(options, name),
  };
}

/** A logger that keeps its lines in memory; for tests. */
export function createMemoryLogger(secrets: () => readonly string[] = () => []): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => lines.push(line), secrets });
  return Object.assign(logger, { lines });
}
