import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { describeError, isDomainError } from '../core/errors.ts';
import type { Metrics } from '../core/metrics.ts';
import type { Logger } from '../core/ports.ts';

interface ContextAwareLogger extends Logger {
  addContext?(context: Context): void;
}

/** Adds the Lambda request id to every log line of the invocation (when the logger supports it). */
export function withLambdaContext(logger: ContextAwareLogger): MiddlewareObj<unknown, unknown, Error, Context> {
  return {
    name: 'with-lambda-context',
    before: (request) => {
      logger.addContext?.(request.context);
    },
  };
}

/** Logs a failed invocation with what was dropped and why, then lets the error through for Lambda's retries. */
export function logFailures(logger: Logger, handlerName: string): MiddlewareObj<unknown, unknown, Error, Context> {
  return {
    name: 'log-failures',
    onError: (request) => {
      const error = request.error;
      logger.error(`${handlerName} failed; the event will be retried or dead-lettered`, {
        error: describeError(error),
        code: isDomainError(error) ? error.code : undefined,
        retryable: isDomainError(error) ? error.retryable : true,
        eventId: (request.event as { id?: unknown } | undefined)?.id,
      });
    },
  };
}

/** Writes the invocation's metrics when it ends, whether it succeeded or failed (a failure is what alarms watch). */
export function flushMetrics(metrics: Metrics | undefined): MiddlewareObj<unknown, unknown, Error, Context> {
  const flush = (): void => metrics?.flush?.();
  return { name: 'flush-metrics', after: flush, onError: flush };
}
