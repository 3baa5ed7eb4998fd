import { describe, expect, it } from 'vitest';
import { parseInvocationReport, reportOfLogResult } from '../../../bench/lambda-init/report-line.ts';

const COLD =
  'START RequestId: 6f0a… Version: $LATEST\nEND RequestId: 6f0a\n' +
  'REPORT RequestId: 6f0a1b2c-3d4e-5f60-7182-93a4b5c6d7e8\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\tMax Memory Used: 81 MB\tInit Duration: 312.57 ms\t\n';
const WARM =
  'START RequestId: 1\nREPORT RequestId: 1a2b\tDuration: 2.05 ms\tBilled Duration: 3 ms\tMemory Size: 256 MB\tMax Memory Used: 82 MB\t\n';

describe('parseInvocationReport', () => {
  it.each([
    { name: 'a cold start', tail: COLD, want: { durationMs: 12.34, initDurationMs: 312.57, maxMemoryUsedMb: 81 } },
    { name: 'a warm invocation (no Init Duration)', tail: WARM, want: { durationMs: 2.05, maxMemoryUsedMb: 82 } },
    {
      name: 'a tail cut before the START line',
      tail: COLD.slice(COLD.indexOf('END')),
      want: { durationMs: 12.34, initDurationMs: 312.57, maxMemoryUsedMb: 81 },
    },
    {
      name: "no REPORT line (a tail of the handler's own logs)",
      tail: 'START RequestId: 1\n{"level":"INFO"}\n',
      wantError: /no REPORT line/,
    },
    {
      name: 'a REPORT line without a Duration',
      tail: 'REPORT RequestId: 1\tBilled Duration: 3 ms\tMax Memory Used: 82 MB\t\n',
      wantError: /"Duration: <number> ms"/,
    },
    { name: 'an Init Duration that is not a number', tail: COLD.replace('312.57 ms', 'n/a'), wantError: /"Init Duration: <number> ms"/ },
  ])('$name', ({ tail, want, wantError }) => {
    if (wantError !== undefined) expect(() => parseInvocationReport(tail)).toThrow(wantError);
    else expect(parseInvocationReport(tail)).toEqual(want);
  });
});

describe('reportOfLogResult', () => {
  it('decodes the base64 LogResult of an Invoke response', () => {
    expect(reportOfLogResult(Buffer.from(COLD).toString('base64')).initDurationMs).toBe(312.57);
  });

  it('names the missing LogResult', () => {
    expect(() => reportOfLogResult(undefined)).toThrow(/no LogResult/);
  });
});
