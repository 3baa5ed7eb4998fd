import type { LogFields, Logger } from '../core/ports.ts';

export const LogLevels = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LogLevels;

/**
 * The local runner's logger: one readable line per call on stderr (`time level message key=value…`),
 * so the banner on stdout stays easy to find. Lambda's JSON logging is for CloudWatch, not a terminal.
 */
export function createConsoleLogger(level: LogLevel = 'info', write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const threshold = LogLevels[level];
  const log = (lineLevel: LogLevel) => (message: string, fields: LogFields = {}): void => {
    if (LogLevels[lineLevel] < threshold) return;
    const pairs = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${typeof value === 'string' && !/[\s"=]/.test(value) ? value : JSON.stringify(value)}`);
    write(`${new Date().toISOString()} ${lineLevel.padEnd(5)} ${[message, ...pairs].join(' ')}\n`);
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** Reads a level name (`LOG_LEVEL`), case-insensitively; undefined when it is not one. */
export function parseLogLevel(text: string | undefined): LogLevel | undefined {
  const lower = text?.trim().toLowerCase();
  return lower !== undefined && lower in LogLevels ? (lower as LogLevel) : undefined;
}
