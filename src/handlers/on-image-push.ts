import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { Timings } from '../core/metrics.ts';
import type { Dependencies } from '../core/ports.ts';
import { type PushOutcome, recordPush } from '../core/record-push.ts';
import { parseEcrImageActionEvent, readEcrImageAction } from './ecr-image-action.ts';
import { flushMetrics, logFailures, withLambdaContext } from './middlewares.ts';

export type OnImagePushResult = PushOutcome | { kind: 'ignored'; reason: string };

/**
 * The `on-image-push` Lambda: one EventBridge "ECR Image Action" event in, one push recorded (and
 * published when complete) or ignored with a logged reason. Failures are thrown, so Lambda retries
 * them and finally sends the event to the on-failure destination: nothing is dropped silently.
 */
export function createOnImagePushHandler(deps: Dependencies, options: { timeoutEarlyInMillis?: number } = {}) {
  return middy<unknown, OnImagePushResult, Error, Context>({ timeoutEarlyInMillis: options.timeoutEarlyInMillis ?? 5 })
    .use(withLambdaContext(deps.logger))
    .use(flushMetrics(deps.metrics))
    .use(logFailures(deps.logger, 'on-image-push'))
    .handler(async (event) => {
      // Thrown, not ignored: a malformed event ends in the dead-letter queue where a person can see it.
      const parsed = parseEcrImageActionEvent(event);
      const sentAt = Date.parse(parsed.time ?? '');
      if (Number.isFinite(sentAt)) deps.metrics?.observe(Timings.eventAge, Math.max(0, deps.clock.now() - sentAt) / 1000);
      const reading = readEcrImageAction(parsed);
      if (reading.kind === 'not-a-push') {
        deps.logger.info(`event ignored: ${reading.reason}`, { eventId: parsed.id });
        return { kind: 'ignored', reason: reading.reason };
      }
      return recordPush(deps, reading.push);
    });
}
