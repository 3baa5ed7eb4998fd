import type { LogFields, Logger } from '../../core/ports.ts';

/** The levels a line can have, least severe first; `silent` writes nothing. */
export const JsonLogLevels = { debug: 10, info: 20, warn: 30, error: 40, silent: 50 } as const;
export type JsonLogLevel = keyof typeof JsonLogLevels;

/** What the Lambda runtime tells a handler about its invocation (the fields of `Context` a log line names). */
export interface InvocationContext {
  readonly awsRequestId?: string;
  readonly functionName?: string;
  readonly invokedFunctionArn?: string;
  readonly memoryLimitInMB?: string;
}

/**
 * The Logger port on AWS Lambda: one JSON object per line, to stdout (debug, info) or stderr (warn,
 * error), which CloudWatch Logs stores as is. The keys are those of the Powertools logger this
 * replaces (`level`, `message`, `timestamp`, `service`, `function_request_id`, `cold_start`,
 * `xray_trace_id`…), so queries written against either read the same lines.
 *
 * The level is the first of `options.level`, `POWERTOOLS_LOG_LEVEL`, `LOG_LEVEL` (INFO when none is
 * set); when Lambda's advanced logging controls set a stricter `AWS_LAMBDA_LOG_LEVEL`, that one wins,
 * since Lambda would drop the lines below it anyway.
 */
export class LambdaJsonLogger implements Logger {
  readonly #service: string;
  readonly #threshold: number;
  readonly #env: NodeJS.ProcessEnv;
  readonly #write: (line: string, level: JsonLogLevel) => void;
  #context: Record<string, unknown> = {};
  #coldStart = true;

  constructor(
    options: {
      serviceName?: string;
      level?: string;
      env?: NodeJS.ProcessEnv;
      /** Where a finished line goes (tests); stdout or stderr by default. */
      write?: (line: string, level: JsonLogLevel) => void;
    } = {},
  ) {
    const env = options.env ?? process.env;
    this.#env = env;
    this.#service = options.serviceName ?? 'manifest-assembler';
    this.#write =
      options.write ?? ((line, level) => (JsonLogLevels[level] >= JsonLogLevels.warn ? process.stderr : process.stdout).write(line));
    const asked = options.level || env.POWERTOOLS_LOG_LEVEL || env.LOG_LEVEL || 'info';
    const level = parseJsonLogLevel(asked);
    const lambdaLevel = parseJsonLogLevel(env.AWS_LAMBDA_LOG_LEVEL);
    this.#threshold = Math.max(JsonLogLevels[level ?? 'info'], lambdaLevel === undefined ? 0 : JsonLogLevels[lambdaLevel]);
    if (level === undefined)
      this.warn(`log level ${JSON.stringify(asked)} is not one of ${Object.keys(JsonLogLevels).join(', ')}; logging at info`);
  }

  /** Names the invocation on every following line; the first invocation of the process is the cold start. */
  addContext(context: InvocationContext): void {
    if (typeof context?.awsRequestId !== 'string') return;
    this.#context = {
      cold_start: this.#coldStart,
      function_arn: context.invokedFunctionArn,
      function_memory_size: context.memoryLimitInMB === undefined ? undefined : Number(context.memoryLimitInMB),
      function_name: context.functionName,
      function_request_id: context.awsRequestId,
    };
    this.#coldStart = false;
  }

  debug(message: string, fields?: LogFields): void {
    this.#log('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.#log('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.#log('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.#log('error', message, fields);
  }

  #log(level: Exclude<JsonLogLevel, 'silent'>, message: string, fields: LogFields = {}): void {
    if (JsonLogLevels[level] < this.#threshold) return;
    const own = {
      level: level.toUpperCase(),
      message,
      timestamp: new Date().toISOString(),
      service: this.#service,
      ...this.#context,
      xray_trace_id: traceRoot(this.#env._X_AMZN_TRACE_ID),
    };
    // The line's own keys keep their place and value whatever the fields hold, so a field cannot
    // pass for the level or the message.
    this.#write(`${JSON.stringify({ ...own, ...fields, ...own }, jsonSafe())}\n`, level);
  }
}

/** A level name (`LOG_LEVEL`), case-insensitively; Powertools' `trace` reads as debug, `critical` as error. */
export function parseJsonLogLevel(text: string | undefined): JsonLogLevel | undefined {
  const lower = text?.trim().toLowerCase();
  if (lower === 'trace') return 'debug';
  if (lower === 'critical') return 'error';
  return lower !== undefined && lower in JsonLogLevels ? (lower as JsonLogLevel) : undefined;
}

/** The `Root=` part of the X-Ray header Lambda sets per invocation. */
function traceRoot(header: string | undefined): string | undefined {
  return header
    ?.split(';')
    .find((part) => part.startsWith('Root='))
    ?.slice('Root='.length);
}

/**
 * A JSON.stringify replacer that never throws: errors as name, message, stack and cause (JSON
 * would write `{}`), bigints as strings, and an object met again on its own path as `[Circular]`.
 */
function jsonSafe(): (this: unknown, key: string, value: unknown) => unknown {
  const ancestors: unknown[] = [];
  return function replace(this: unknown, _key: string, value: unknown): unknown {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value !== 'object' || value === null) return value;
    // JSON.stringify calls the replacer with `this` = the holder: drop the ancestors we have left.
    while (ancestors.length > 0 && ancestors.at(-1) !== this) ancestors.pop();
    if (ancestors.includes(value)) return '[Circular]';
    let written = value;
    if (value instanceof Error) {
      const { name, message, stack, cause, ...own } = value as Error & Record<string, unknown>;
      written = { ...own, name, message, stack, ...(cause === undefined ? {} : { cause }) };
      ancestors.push(value); // so that a cause or field pointing back at this error is caught too
    }
    ancestors.push(written);
    return written;
  };
}
