import { describe, expect, it } from 'vitest';
import { type JsonLogLevel, LambdaJsonLogger, parseJsonLogLevel } from '../../../src/adapters/observability/lambda-json-logger.ts';

// biome-ignore lint/suspicious/noExplicitAny: a log line read by path; the assertions check its shape.
type LogLine = Record<string, any>;

/** A logger whose lines are kept, parsed, with the level each was written at. */
function capture(options: { level?: string; env?: NodeJS.ProcessEnv } = {}) {
  const lines: Array<{ level: JsonLogLevel; raw: string; json: LogLine }> = [];
  const logger = new LambdaJsonLogger({
    serviceName: 'svc',
    env: options.env ?? {},
    ...(options.level === undefined ? {} : { level: options.level }),
    write: (raw, level) => lines.push({ level, raw, json: JSON.parse(raw) as LogLine }),
  });
  return { logger, lines };
}

describe('LambdaJsonLogger', () => {
  it('writes one JSON line per call with the Powertools keys, then the fields', () => {
    const { logger, lines } = capture();
    logger.info('push recorded', { repository: 'app', platforms: ['linux/amd64'], skipped: undefined });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.raw.endsWith('}\n')).toBe(true);
    expect(lines[0]?.raw.indexOf('\n')).toBe(lines[0]!.raw.length - 1);
    expect(Object.keys(lines[0]!.json)).toEqual(['level', 'message', 'timestamp', 'service', 'repository', 'platforms']);
    expect(lines[0]?.json).toMatchObject({
      level: 'INFO',
      message: 'push recorded',
      service: 'svc',
      repository: 'app',
      platforms: ['linux/amd64'],
    });
    expect(Number.isNaN(Date.parse(lines[0]!.json.timestamp))).toBe(false);
  });

  it('keeps a message holding CR/LF on one line', () => {
    const { logger, lines } = capture();
    logger.warn('tag v1\n{"level":"ERROR"}', { tag: 'a\r\nb' });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.raw.split('\n')).toHaveLength(2);
    expect(lines[0]?.json).toMatchObject({ level: 'WARN', message: 'tag v1\n{"level":"ERROR"}', tag: 'a\r\nb' });
  });

  it('does not let a field replace the level, message or service', () => {
    const { logger, lines } = capture();
    logger.info('real', { level: 'ERROR', message: 'forged', service: 'other', extra: 1 });
    expect(lines[0]?.json).toMatchObject({ level: 'INFO', message: 'real', service: 'svc', extra: 1 });
  });

  it('names the invocation after addContext, cold start first', () => {
    const { logger, lines } = capture({
      env: { _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1' },
    });
    const context = {
      awsRequestId: 'req-1',
      functionName: 'fn',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:1:function:fn',
      memoryLimitInMB: '256',
    };
    logger.addContext(context);
    logger.info('one');
    logger.addContext({ ...context, awsRequestId: 'req-2' });
    logger.info('two');
    expect(lines.map((l) => l.json)).toEqual([
      expect.objectContaining({
        function_request_id: 'req-1',
        cold_start: true,
        function_name: 'fn',
        function_memory_size: 256,
        function_arn: context.invokedFunctionArn,
        xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
      }),
      expect.objectContaining({ function_request_id: 'req-2', cold_start: false }),
    ]);
  });

  it('ignores a context without a request id (a test calling the handler directly)', () => {
    const { logger, lines } = capture();
    logger.addContext({});
    logger.info('no context');
    expect(lines[0]?.json).not.toHaveProperty('function_request_id');
  });

  it('writes errors as name, message, stack and cause, and survives cycles and bigints', () => {
    const { logger, lines } = capture();
    const cause = new Error('socket hang up');
    const error = Object.assign(new TypeError('fetch failed', { cause }), { code: 'ECONNRESET' });
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    logger.error('registry call failed', { error, cyclic, size: 10n, shared: [cause, cause] });
    const json = lines[0]!.json;
    expect(json.error).toMatchObject({
      name: 'TypeError',
      message: 'fetch failed',
      code: 'ECONNRESET',
      cause: { name: 'Error', message: 'socket hang up' },
    });
    expect(typeof json.error.stack).toBe('string');
    expect(json.cyclic).toEqual({ name: 'loop', self: '[Circular]' });
    expect(json.size).toBe('10');
    // Seen twice side by side is not a cycle: both are written.
    expect(json.shared).toEqual([
      expect.objectContaining({ message: 'socket hang up' }),
      expect.objectContaining({ message: 'socket hang up' }),
    ]);
    expect(lines[0]?.level).toBe('error');
  });

  describe('level', () => {
    const table: Array<{ name: string; level?: string; env: NodeJS.ProcessEnv; written: string[] }> = [
      { name: 'INFO by default', env: {}, written: ['INFO', 'WARN', 'ERROR'] },
      { name: 'the option first', level: 'DEBUG', env: { LOG_LEVEL: 'ERROR' }, written: ['DEBUG', 'INFO', 'WARN', 'ERROR'] },
      {
        name: 'POWERTOOLS_LOG_LEVEL before LOG_LEVEL',
        env: { POWERTOOLS_LOG_LEVEL: 'warn', LOG_LEVEL: 'DEBUG' },
        written: ['WARN', 'ERROR'],
      },
      { name: 'LOG_LEVEL', env: { LOG_LEVEL: 'error' }, written: ['ERROR'] },
      {
        name: 'a stricter AWS_LAMBDA_LOG_LEVEL wins',
        env: { LOG_LEVEL: 'DEBUG', AWS_LAMBDA_LOG_LEVEL: 'WARN' },
        written: ['WARN', 'ERROR'],
      },
      { name: 'a looser AWS_LAMBDA_LOG_LEVEL does not', env: { LOG_LEVEL: 'ERROR', AWS_LAMBDA_LOG_LEVEL: 'DEBUG' }, written: ['ERROR'] },
      { name: 'SILENT', env: { LOG_LEVEL: 'SILENT' }, written: [] },
    ];
    for (const row of table) {
      it(row.name, () => {
        const { logger, lines } = capture({ env: row.env, ...(row.level === undefined ? {} : { level: row.level }) });
        logger.debug('d');
        logger.info('i');
        logger.warn('w');
        logger.error('e');
        expect(lines.map((l) => l.json.level)).toEqual(row.written);
      });
    }

    it('an unknown level logs at info and says so', () => {
      const { logger, lines } = capture({ env: { LOG_LEVEL: 'LOUD' } });
      logger.debug('d');
      logger.info('i');
      expect(lines.map((l) => [l.json.level, l.json.message])).toEqual([
        ['WARN', 'log level "LOUD" is not one of debug, info, warn, error, silent; logging at info'],
        ['INFO', 'i'],
      ]);
    });
  });

  describe('parseJsonLogLevel', () => {
    const table: Array<[string | undefined, JsonLogLevel | undefined]> = [
      ['INFO', 'info'],
      [' debug ', 'debug'],
      ['TRACE', 'debug'],
      ['CRITICAL', 'error'],
      ['Silent', 'silent'],
      ['verbose', undefined],
      ['', undefined],
      [undefined, undefined],
    ];
    for (const [text, want] of table) it(`reads ${JSON.stringify(text)} as ${want}`, () => expect(parseJsonLogLevel(text)).toBe(want));
  });
});
