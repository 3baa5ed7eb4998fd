import type { LogFields, Logger } from '../core/ports.ts';

export const LogLevels = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LogLevels;

/**
 * The local runner's logger: one readable line per call on stderr (`time level message key=value…`),
 * so the banner on stdout stays easy to find. Lambda's JSON logging is for CloudWatch, not a terminal.
 *
 * Every call is exactly one line, whatever it is given: messages are built from event values (a
 * tag, a repository, a reason naming them), and a value holding CR/LF would otherwise write lines
 * that look like the runner's own. So the message, the keys and the values are all escaped here,
 * the one place every line passes ({@link escapeLogText}).
 */
export function createConsoleLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const threshold = LogLevels[level];
  const log =
    (lineLevel: LogLevel) =>
    (message: string, fields: LogFields = {}): void => {
      if (LogLevels[lineLevel] < threshold) return;
      const pairs = Object.entries(fields)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => `${escapeLogText(key)}=${formatValue(value)}`);
      write(`${new Date().toISOString()} ${lineLevel.padEnd(5)} ${[escapeLogText(message), ...pairs].join(' ')}\n`);
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/**
 * Characters that must not reach a terminal or a log file raw: C0 controls (CR, LF, ESC…), DEL and
 * C1 controls, the Unicode line and paragraph separators, and the bidirectional overrides that
 * make text display in another order than it is stored.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these control characters are what it finds and escapes.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const HAS_UNSAFE = new RegExp(UNSAFE.source);
const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const escapeUnsafe = (text: string): string =>
  text.replace(UNSAFE, (char) => SHORT_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * `text` on one line: every unsafe character written as an escape (`\n`, `\r`, `\t`, else
 * `\uXXXX`), and a backslash as `\\` so that a tag spelling `\n` cannot pass for an escaped newline.
 */
export function escapeLogText(text: string): string {
  return escapeUnsafe(text.replaceAll('\\', '\\\\'));
}

/** A bare word when that is unambiguous, else JSON (quoted, escaped); never a raw unsafe character. */
function formatValue(value: unknown): string {
  if (typeof value === 'string' && !/[\s"=\\]/.test(value) && !HAS_UNSAFE.test(value)) return value;
  // JSON escapes C0 controls, quotes and backslashes; the rest of UNSAFE it leaves raw.
  return escapeUnsafe(JSON.stringify(value) ?? String(value));
}

/** Reads a level name (`LOG_LEVEL`), case-insensitively; undefined when it is not one. */
export function parseLogLevel(text: string | undefined): LogLevel | undefined {
  const lower = text?.trim().toLowerCase();
  return lower !== undefined && lower in LogLevels ? (lower as LogLevel) : undefined;
}
