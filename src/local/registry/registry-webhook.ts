import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeError, isRetryable } from '../../core/errors.ts';
import type { Logger } from '../../core/ports.ts';
import { hasBearerToken } from '../http/bearer-auth.ts';
import { BodyTooLargeError, mediaTypeOf, readBody, sendJson, sendProblem } from '../http/http-io.ts';
import { ProcessedEventIds } from '../inbox/processed-event-ids.ts';
import type { AcceptOutcome, RegistryInbox } from '../inbox/registry-inbox.ts';
import { type EcrImageActionEvent, type EventOrigin, RegistryEnvelopeSchema, readRegistryEvent } from './registry-events.ts';

/** Invokes the on-image-push handler with one ECR event; throws when the push should be retried. */
export type ImagePushInvoker = (event: EcrImageActionEvent) => Promise<unknown>;

/** The media type distribution sends notifications with. */
export const REGISTRY_EVENTS_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';

const ACCEPT_LOG_LINES: Readonly<Record<AcceptOutcome, string>> = {
  recorded: 'registry webhook: recorded a push in the inbox',
  'recorded-already': 'registry webhook: skipped a push the inbox holds already',
  'handled-already': 'registry webhook: skipped a push already handled',
  'own-put': 'registry webhook: skipped the push of an index this runner put',
};

export interface RegistryWebhookOptions {
  readonly secret: string;
  /** Runs a push while the registry waits for the answer; only without an inbox. */
  readonly onImagePush: ImagePushInvoker;
  /** Records each push and answers at once; the inbox's workers run the handler (the local stack's way). */
  readonly inbox?: Pick<RegistryInbox, 'accept'>;
  readonly logger: Logger;
  readonly origin: EventOrigin;
  readonly processed?: ProcessedEventIds;
}

/**
 * `POST /v1/hooks/registry`: reads a distribution notification and, for each tagged manifest push in
 * order, records it in the inbox (answering once all are recorded), or without an inbox runs the
 * on-image-push handler before answering.
 *
 * distribution delivers one endpoint's events one at a time, in order, and retries the head event
 * until it gets a 2xx, forever (also on 4xx). So a push that could not be recorded (or, without an
 * inbox, failed in a way worth retrying) answers 500 and is not remembered (it comes back), while
 * events that can never succeed (malformed, not a push, refused by the handler with a
 * non-retryable error) are dropped with a log line and answered 200, or they would block every
 * later event.
 */
export function createRegistryWebhook(
  options: RegistryWebhookOptions,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const { secret, onImagePush, inbox, logger, origin } = options;
  const processed = options.processed ?? new ProcessedEventIds();
  // distribution gives up on a slow answer after its endpoint timeout (2 s) and sends the same event
  // again while the first delivery is still being handled: the second one waits for the first.
  const inFlight = new Map<string, Promise<unknown>>();
  const runOnce = (id: string, run: () => Promise<unknown>): Promise<unknown> => {
    const running = inFlight.get(id);
    if (running !== undefined) return running;
    const started = run().finally(() => inFlight.delete(id));
    inFlight.set(id, started);
    return started;
  };
  return async (request, response) => {
    if (!hasBearerToken(request.headers, secret)) {
      logger.warn('registry webhook: refused a notification without the shared secret', { remote: request.socket.remoteAddress });
      sendProblem(response, 401, 'Unauthorized', 'the registry webhook needs Authorization: Bearer <registry-secret>', {
        'www-authenticate': 'Bearer',
      });
      return;
    }
    const mediaType = mediaTypeOf(request);
    if (mediaType !== REGISTRY_EVENTS_MEDIA_TYPE && mediaType !== 'application/json') {
      sendProblem(
        response,
        415,
        'Unsupported Media Type',
        `expected ${REGISTRY_EVENTS_MEDIA_TYPE} or application/json, got ${mediaType || '(none)'}`,
      );
      return;
    }
    let envelope: { events: unknown[] };
    try {
      envelope = RegistryEnvelopeSchema.parse(JSON.parse((await readBody(request)).toString('utf8')));
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        sendProblem(response, 413, 'Content Too Large', error.message, { connection: 'close' });
        return;
      }
      logger.warn('registry webhook: refused a body that is not a notification envelope', { error: describeError(error) });
      sendProblem(response, 400, 'Bad Request', 'the body is not a registry notification envelope {"events":[...]}');
      return;
    }
    for (const raw of envelope.events) {
      const outcome = readRegistryEvent(raw, origin);
      if (outcome.kind === 'skip') {
        logger.debug('registry webhook: skipped an event', { id: outcome.id, reason: outcome.reason });
        continue;
      }
      if (outcome.kind === 'invalid') {
        // Answering 4xx would not help: distribution would redeliver it forever, ahead of every later event.
        logger.warn('registry webhook: dropped an invalid event', { id: outcome.id, reason: outcome.reason });
        continue;
      }
      const { id, event } = outcome;
      const detail = {
        id,
        repository: event.detail['repository-name'],
        tag: event.detail['image-tag'],
        digest: event.detail['image-digest'],
      };
      if (inbox !== undefined) {
        try {
          logger.debug(ACCEPT_LOG_LINES[await inbox.accept({ id, event })], detail);
        } catch (error) {
          // Not recorded, so not answered: distribution redelivers it (and holds the ones behind it) until a 2xx.
          logger.error('registry webhook: could not record a push; the registry will redeliver the event', {
            ...detail,
            error: describeError(error),
          });
          sendProblem(
            response,
            500,
            'Internal Server Error',
            `the push of ${detail.repository}:${detail.tag} could not be recorded and will be retried`,
          );
          return;
        }
        continue;
      }
      if (processed.has(id)) {
        logger.info('registry webhook: skipped an event already handled', detail);
        continue;
      }
      try {
        await runOnce(id, () => onImagePush(event));
      } catch (error) {
        if (!isRetryable(error)) {
          // On AWS this event would land in the dead-letter queue after Lambda's retries. Here a
          // non-2xx answer would make distribution redeliver it forever, ahead of every later event.
          logger.error('registry webhook: the push handler refused the event for good; dropped (on AWS: the dead-letter queue)', {
            ...detail,
            error: describeError(error),
          });
          processed.add(id);
          continue;
        }
        // Not remembered: distribution redelivers this event (and holds the ones behind it) until a 2xx.
        logger.error('registry webhook: the push handler failed; the registry will redeliver the event', {
          ...detail,
          error: describeError(error),
        });
        sendProblem(response, 500, 'Internal Server Error', `the push of ${detail.repository}:${detail.tag} failed and will be retried`);
        return;
      }
      processed.add(id);
      logger.info('registry webhook: handled a push', detail);
    }
    sendJson(response, 200, { status: 'ok' });
  };
}
