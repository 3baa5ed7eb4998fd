import { MediaTypes } from '../../src/core/media-types.ts';
import type { EcrImageActionEvent } from '../../src/local/registry/registry-events.ts';

/**
 * The EventBridge "ECR Image Action" event ECR sends for a successful push, as every test delivers it.
 * An undefined tag leaves `image-tag` out (a push by digest); the newer `manifest-media-type` field is
 * there only when given.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 */
export function ecrPushEvent(
  repository: string,
  digest: string,
  tag: string | undefined,
  options: { id?: string; mediaType?: string; account?: string; detail?: Record<string, unknown> } = {},
) {
  return {
    version: '0',
    id: options.id ?? `event-${digest.slice(7, 15)}-${tag ?? 'none'}`,
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: options.account ?? '123456789012',
    time: '2026-11-27T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: {
      result: 'SUCCESS',
      'repository-name': repository,
      'image-digest': digest,
      'action-type': 'PUSH',
      ...(tag === undefined ? {} : { 'image-tag': tag }),
      ...(options.mediaType === undefined ? {} : { 'manifest-media-type': options.mediaType }),
      ...options.detail,
    } as Record<string, unknown>,
  };
}

/**
 * {@link ecrPushEvent} as the local runner builds it from a registry notification (tag and media type
 * always there), typed for the local inbox and webhook.
 */
export function localPushEvent(id: string, repository: string, tag: string, digest = `sha256:${'a'.repeat(64)}`): EcrImageActionEvent {
  return ecrPushEvent(repository, digest, tag, {
    id,
    account: '000000000000',
    mediaType: MediaTypes.ociManifest,
  }) as unknown as EcrImageActionEvent;
}
