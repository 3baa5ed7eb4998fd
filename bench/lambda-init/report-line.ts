/**
 * What Lambda's REPORT line says of one invocation. Lambda writes it at the end of every invocation's
 * log, and an invocation with `LogType: Tail` gets the last 4 KB of that log back, base64 encoded.
 * `Init Duration` is there only when the invocation started an execution environment (a cold start):
 * the runtime's own start plus the import of the handler's module and the code it runs at load.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html (the REPORT line's fields)
 */
export interface InvocationReport {
  readonly durationMs: number;
  /** Absent when the invocation ran in an execution environment that was already up. */
  readonly initDurationMs?: number;
  readonly maxMemoryUsedMb: number;
}

const REPORT = /^REPORT RequestId: \S+\t(.*)$/m;

/**
 * Parses the REPORT line out of a log tail (as text); throws naming what is missing, since a tail
 * without one means the invocation did not end as this bench expects (a timeout, a crash).
 */
export function parseInvocationReport(logTail: string): InvocationReport {
  const line = REPORT.exec(logTail);
  if (line === null) throw new Error(`no REPORT line in the invocation's log tail: ${JSON.stringify(logTail.slice(-300))}`);
  const fields = new Map<string, string>();
  for (const field of (line[1] ?? '').split('\t')) {
    const colon = field.indexOf(': ');
    if (colon > 0) fields.set(field.slice(0, colon), field.slice(colon + 2).trim());
  }
  const durationMs = measure(fields, 'Duration', 'ms', line[0]);
  const maxMemoryUsedMb = measure(fields, 'Max Memory Used', 'MB', line[0]);
  if (!fields.has('Init Duration')) return { durationMs, maxMemoryUsedMb };
  return { durationMs, initDurationMs: measure(fields, 'Init Duration', 'ms', line[0]), maxMemoryUsedMb };
}

/** Decodes the `LogResult` of an Invoke response (base64) and parses its REPORT line. */
export function reportOfLogResult(logResult: string | undefined): InvocationReport {
  if (logResult === undefined) throw new Error('the Invoke response carries no LogResult (was LogType Tail asked for?)');
  return parseInvocationReport(Buffer.from(logResult, 'base64').toString('utf8'));
}

function measure(fields: ReadonlyMap<string, string>, name: string, unit: string, line: string): number {
  const value = fields.get(name);
  const match = value === undefined ? null : new RegExp(`^(\\d+(?:\\.\\d+)?) ${unit}$`).exec(value);
  if (match === null) throw new Error(`REPORT line without a "${name}: <number> ${unit}" field: ${JSON.stringify(line)}`);
  return Number(match[1]);
}
