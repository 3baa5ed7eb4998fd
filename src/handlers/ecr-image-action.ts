import * as z from 'zod/mini';
import '../api/zod-locale.ts';
import type { PushEvent } from '../core/record-push.ts';
import { isDigest } from '../core/descriptor.ts';

/**
 * The EventBridge "ECR Image Action" event. `image-tag` may be missing or empty (pushes by digest);
 * `manifest-media-type` and `artifact-media-type` are newer fields that older events lack.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 */
export const ecrImageActionEventSchema = z.object({
  id: z.optional(z.string()),
  source: z.string(),
  'detail-type': z.string(),
  time: z.optional(z.string()),
  detail: z.object({
    result: z.optional(z.string()),
    'action-type': z.string(),
    'repository-name': z.string().check(z.minLength(1), z.maxLength(256)),
    'image-digest': z.string().check(z.refine(isDigest, 'must be a sha256 digest')),
    'image-tag': z.optional(z.string().check(z.maxLength(300))),
    'manifest-media-type': z.optional(z.string()),
    'artifact-media-type': z.optional(z.string()),
  }),
});

export type EcrImageActionEvent = z.infer<typeof ecrImageActionEventSchema>;

export type EventReading = { kind: 'push'; push: PushEvent } | { kind: 'not-a-push'; reason: string };

/**
 * The events that put an image into a repository: a push, and (in a replication destination) the
 * arrival of an image replicated from another region or account, which ECR reports as an
 * "ECR Replication Action" with action-type REPLICATE and the same detail fields.
 */
const PUSH_ACTIONS: Readonly<Record<string, string>> = { 'ECR Image Action': 'PUSH', 'ECR Replication Action': 'REPLICATE' };

/** Whether the event is a successful ECR push (or replication into this registry), and the push it describes. */
export function readEcrImageAction(event: EcrImageActionEvent): EventReading {
  const action = Object.hasOwn(PUSH_ACTIONS, event['detail-type']) ? PUSH_ACTIONS[event['detail-type']] : undefined;
  if (event.source !== 'aws.ecr' || action === undefined) {
    return { kind: 'not-a-push', reason: `event from ${event.source} / ${event['detail-type']} is not an ECR Image Action` };
  }
  const { detail } = event;
  if (detail['action-type'] !== action) return { kind: 'not-a-push', reason: `action-type ${detail['action-type']} is not ${action}` };
  if (detail.result !== undefined && detail.result !== 'SUCCESS') return { kind: 'not-a-push', reason: `result ${detail.result} is not SUCCESS` };
  return {
    kind: 'push',
    push: {
      repository: detail['repository-name'],
      digest: detail['image-digest'],
      tag: detail['image-tag'] === '' ? undefined : detail['image-tag'],
      mediaType: detail['manifest-media-type'],
      eventId: event.id,
    },
  };
}
