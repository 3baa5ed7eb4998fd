import { describe, expect, it } from 'vitest';
import { createConsoleLogger, escapeLogText, parseLogLevel } from '../../src/local/console-logger.ts';

function capture(level: Parameters<typeof createConsoleLogger>[0] = 'debug') {
  const writes: string[] = [];
  return { writes, logger: createConsoleLogger(level, (line) => writes.push(line)) };
}

/** `time level rest`: what follows the level column. */
const rest = (line: string): string => line.replace(/^\S+ \S+\s+/, '');

describe('createConsoleLogger', () => {
  it('writes one line per call: time, level, message, then key=value pairs', () => {
    const { writes, logger } = capture();
    logger.info('push recorded', { repository: 'team/app', revision: 3, changed: true, missing: undefined });
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info {2}push recorded repository=team\/app revision=3 changed=true\n$/,
    );
  });

  it('quotes values that a reader could split or misread', () => {
    const { writes, logger } = capture();
    logger.warn('m', { spaced: 'a b', quoted: 'say "hi"', equals: 'k=v', backslash: 'a\\n', list: ['x', 'y'], empty: '' });
    expect(rest(writes[0] ?? '')).toBe('m spaced="a b" quoted="say \\"hi\\"" equals="k=v" backslash="a\\\\n" list=["x","y"] empty=\n');
  });

  it('drops lines below its level', () => {
    const { writes, logger } = capture('warn');
    logger.info('hidden');
    logger.error('shown');
    expect(writes.map(rest)).toEqual(['shown\n']);
  });

  // A value from an event (a tag, a repository, a reason naming them) must never start a line of its own.
  describe.each([
    [
      'CR LF',
      '1.0\r\n2026-12-01T00:00:00.000Z info  push recorded repository=team/app',
      '1.0\\r\\n2026-12-01T00:00:00.000Z info  push recorded repository=team/app',
    ],
    ['a lone LF', 'a\nb', 'a\\nb'],
    ['a lone CR (overwrites the line on a terminal)', 'a\rb', 'a\\rb'],
    ['a tab', 'a\tb', 'a\\tb'],
    ['an ANSI escape (colours, cursor moves)', 'a\u001b[2Kb', 'a\\u001b[2Kb'],
    ['NUL and DEL', 'a\u0000b\u007f', 'a\\u0000b\\u007f'],
    ['a C1 control (CSI)', 'a\u009bb', 'a\\u009bb'],
    ['the Unicode line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
    ['a bidirectional override', 'a\u202eb\u2066c', 'a\\u202eb\\u2066c'],
    ['a backslash (so a spelt-out \\n is not taken for an escape)', 'a\\nb', 'a\\\\nb'],
  ])('when a message or a value holds %s', (_, raw, escaped) => {
    it('escapes it in the message, in a value and in a key, and still writes one line', () => {
      const { writes, logger } = capture();
      logger.warn(`push ignored: tag ${raw} does not match`, { tag: raw, [raw]: 1 });
      expect(writes).toHaveLength(1);
      const line = writes[0] ?? '';
      expect(line.indexOf('\n')).toBe(line.length - 1);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters that must not reach the line.
      expect(line).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
      const message = `push ignored: tag ${escaped} does not match`;
      const key = ` ${escaped}=1\n`;
      expect(rest(line).startsWith(`${message} tag=`)).toBe(true);
      expect(rest(line).endsWith(key)).toBe(true);
      // A value is written as JSON: it reads back exactly.
      expect(JSON.parse(rest(line).slice(`${message} tag=`.length, -key.length))).toBe(raw);
      expect(escapeLogText(raw)).toBe(escaped);
    });
  });
});

describe('parseLogLevel', () => {
  it.each([
    ['debug', 'debug'],
    [' WARN ', 'warn'],
    ['verbose', undefined],
    [undefined, undefined],
  ])('reads %j as %j', (text, level) => {
    expect(parseLogLevel(text)).toBe(level);
  });
});
