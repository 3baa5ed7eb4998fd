import { type Descriptor, isDigest } from '../core/descriptor.ts';
import { InvalidInputError } from '../core/errors.ts';
import type { PushEvent } from '../core/record-push.ts';

/**
 * The EventBridge "ECR Image Action" event. `image-tag` may be missing or empty (pushes by digest);
 * `manifest-media-type` and `artifact-media-type` are newer fields that older events lack.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 */
export interface EcrImageActionEvent {
  readonly id?: string | undefined;
  readonly source: string;
  readonly 'detail-type': string;
  readonly time?: string | undefined;
  readonly detail: {
    readonly result?: string | undefined;
    readonly 'action-type': string;
    readonly 'repository-name': string;
    readonly 'image-digest': string;
    readonly 'image-tag'?: string | undefined;
    readonly 'manifest-media-type'?: string | undefined;
    readonly 'artifact-media-type'?: string | undefined;
    /**
     * Not an ECR field: the local stack adds the config descriptor its registry's notification names
     * (distribution's `references`), so the config is read beside the manifest. A hint only
     * (read-push.ts): used when the manifest names the very same config.
     */
    readonly 'manifest-config'?: Descriptor | undefined;
  };
}

/**
 * Checks an event's shape and returns it typed, or throws {@link InvalidInputError} naming the
 * first bad field (`malformed ECR Image Action event: detail.image-digest: must be a sha256 digest`).
 * A dozen checked fields: written out rather than loaded from a schema library, which was most of
 * the on-image-push bundle's own code and start-up time.
 */
export function parseEcrImageActionEvent(event: unknown): EcrImageActionEvent {
  const root = object(event, 'event');
  const detail = object(root.detail, 'detail');
  return {
    id: optionalString(root, 'id', ''),
    source: string(root, 'source', ''),
    'detail-type': string(root, 'detail-type', ''),
    time: optionalString(root, 'time', ''),
    detail: {
      result: optionalString(detail, 'result', 'detail.'),
      'action-type': string(detail, 'action-type', 'detail.'),
      // ECR's own limits, not the repository-name grammar: a push to a repository the API could never
      // configure is ignored as unconfigured (with a log line), not dead-lettered as malformed.
      'repository-name': string(detail, 'repository-name', 'detail.', { min: 1, max: 256 }),
      'image-digest': digest(detail, 'image-digest', 'detail.'),
      'image-tag': optionalString(detail, 'image-tag', 'detail.', { max: 300 }),
      'manifest-media-type': optionalString(detail, 'manifest-media-type', 'detail.'),
      'artifact-media-type': optionalString(detail, 'artifact-media-type', 'detail.'),
      'manifest-config': optionalDescriptor(detail, 'manifest-config', 'detail.'),
    },
  };
}

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
  if (detail.result !== undefined && detail.result !== 'SUCCESS')
    return { kind: 'not-a-push', reason: `result ${detail.result} is not SUCCESS` };
  return {
    kind: 'push',
    push: {
      repository: detail['repository-name'],
      digest: detail['image-digest'],
      tag: detail['image-tag'] === '' ? undefined : detail['image-tag'],
      mediaType: detail['manifest-media-type'],
      configHint: detail['manifest-config'],
      eventId: event.id,
    },
  };
}

type Fields = Readonly<Record<string, unknown>>;
type Length = { readonly min?: number; readonly max?: number };

function malformed(field: string, message: string): InvalidInputError {
  return new InvalidInputError(`malformed ECR Image Action event: ${field}: ${message}`);
}

function object(value: unknown, field: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw malformed(field, `expected an object, received ${describe(value)}`);
  return value as Fields;
}

function string(fields: Fields, key: string, prefix: string, length: Length = {}): string {
  const value = Object.hasOwn(fields, key) ? fields[key] : undefined;
  if (typeof value !== 'string') throw malformed(`${prefix}${key}`, `expected a string, received ${describe(value)}`);
  if (length.min !== undefined && value.length < length.min)
    throw malformed(`${prefix}${key}`, `must have at least ${length.min} character(s)`);
  if (length.max !== undefined && value.length > length.max)
    throw malformed(`${prefix}${key}`, `must have at most ${length.max} characters`);
  return value;
}

function optionalString(fields: Fields, key: string, prefix: string, length: Length = {}): string | undefined {
  return Object.hasOwn(fields, key) && fields[key] !== undefined ? string(fields, key, prefix, length) : undefined;
}

function digest(fields: Fields, key: string, prefix: string): string {
  const value = string(fields, key, prefix);
  if (!isDigest(value)) throw malformed(`${prefix}${key}`, 'must be a sha256 digest');
  return value;
}

function optionalDescriptor(fields: Fields, key: string, prefix: string): Descriptor | undefined {
  if (!Object.hasOwn(fields, key) || fields[key] === undefined) return undefined;
  const descriptor = object(fields[key], `${prefix}${key}`);
  const inner = `${prefix}${key}.`;
  const size = Object.hasOwn(descriptor, 'size') ? descriptor.size : undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw malformed(`${inner}size`, `expected a byte count, received ${describe(size)}`);
  }
  return { mediaType: string(descriptor, 'mediaType', inner, { min: 1, max: 255 }), digest: digest(descriptor, 'digest', inner), size };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return value === undefined ? 'nothing' : `a ${typeof value}`;
}
