import { createHmac } from 'node:crypto';
import { formatEventPayload } from '../../core/event-payload.ts';
import type { VersionEvent } from '../../core/version-events.ts';

/** The header carrying `sha256=<hex HMAC-SHA256 of the body>` keyed by the notify secret. */
export const SIGNATURE_HEADER = 'X-Manifest-Assembler-Signature';
/** CloudEvents structured mode, JSON format. */
export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json';
/** `type` of an outcome event is this prefix and the outcome (`io.manifest-assembler.version.published`). */
export const CLOUDEVENT_TYPE_PREFIX = 'io.manifest-assembler.version.';

/**
 * The exact body POSTed for an outcome: a CloudEvents 1.0 event in structured JSON mode. Built once,
 * when the event is queued, so every retry sends (and signs) the same bytes.
 *
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md
 * @see https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md
 */
export function formatCloudEvent(event: VersionEvent, registryUrl: string): string {
  const { data } = event;
  return JSON.stringify({
    specversion: '1.0',
    id: event.id,
    source: registryUrl,
    type: `${CLOUDEVENT_TYPE_PREFIX}${event.outcome}`,
    subject: `${data.repository}:${data.version}`,
    time: event.time,
    datacontenttype: 'application/json',
    data: formatEventPayload(data, new URL(registryUrl).host),
  });
}

/** The signature header's value for `body`: `sha256=` and the hex HMAC-SHA256 under `secret`. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}
