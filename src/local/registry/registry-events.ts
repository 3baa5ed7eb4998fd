import { z } from 'zod';
import { type Descriptor, isDigest } from '../../core/descriptor.ts';
import { isImageManifestMediaType, isIndexMediaType, MediaTypes } from '../../core/media-types.ts';
import { repositoryNameProblem } from '../../core/repository-name.ts';

/**
 * The body of a CNCF distribution notification: `{ events: [...] }`. Only the envelope is checked
 * here; each event is checked on its own by {@link readRegistryEvent}, so one odd event does not
 * block the others.
 *
 * @see https://distribution.github.io/distribution/about/notifications/
 */
export const RegistryEnvelopeSchema = z.object({ events: z.array(z.unknown()) });

/** The fields of one notification event that a push needs (distribution 2.8 sends more; they are ignored). */
const RegistryEventSchema = z.object({
  id: z.string().min(1),
  timestamp: z.string().min(1),
  action: z.string().min(1),
  target: z.object({
    mediaType: z.string().optional(),
    digest: z.string().optional(),
    // The one grammar: a forged name (CR/LF, `..`) never reaches the handler or the log as a repository.
    repository: z.string().superRefine((name, ctx) => {
      const problem = repositoryNameProblem(name);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    }),
    tag: z.string().optional(),
    fromRepository: z.string().optional(),
    // includereferences (registry-config.ts): an image manifest's config first, then its layers.
    references: z.array(z.unknown()).optional(),
  }),
});

/** A reference of the notification, as far as it can name a config blob. */
const ConfigReferenceSchema = z.object({
  mediaType: z.enum([MediaTypes.ociConfig, MediaTypes.dockerConfig]),
  digest: z.string().refine(isDigest),
  size: z.number().int().nonnegative(),
});

export type RegistryEvent = z.infer<typeof RegistryEventSchema>;

/**
 * The EventBridge "ECR Image Action" event, the shape the on-image-push handler reads in AWS.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 */
export interface EcrImageActionEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'ECR Image Action';
  readonly source: 'aws.ecr';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: {
    readonly result: 'SUCCESS';
    readonly 'repository-name': string;
    readonly 'image-digest': string;
    readonly 'action-type': 'PUSH';
    readonly 'image-tag': string;
    readonly 'manifest-media-type': string;
    /** The config the pushed image manifest references, as the notification names it (ecr-image-action.ts). */
    readonly 'manifest-config'?: Pick<Descriptor, 'mediaType' | 'digest' | 'size'>;
  };
}

/** Where the ECR-shaped event claims to come from; nothing reads these locally but they must be there. */
export interface EventOrigin {
  readonly account: string;
  readonly region: string;
}

/**
 * What to do with one notification event: hand a push to the handler, skip it (not a tagged
 * manifest push), or drop it as invalid (it can never be handled); the last two say why.
 */
export type RegistryEventOutcome =
  | { readonly kind: 'push'; readonly id: string; readonly event: EcrImageActionEvent }
  | { readonly kind: 'skip'; readonly id: string; readonly reason: string }
  | { readonly kind: 'invalid'; readonly id: string | undefined; readonly reason: string };

/**
 * Turns one registry notification event into the ECR event the handler expects, or says why it is
 * not a tagged manifest push. Blob pushes (application/octet-stream), pushes by digest (no tag: skopeo
 * and buildx push an index's children that way), mounts, deletes and pulls are skipped.
 */
export function readRegistryEvent(raw: unknown, origin: EventOrigin): RegistryEventOutcome {
  const parsed = RegistryEventSchema.safeParse(raw);
  if (!parsed.success) {
    const id =
      typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined;
    return { kind: 'invalid', id, reason: describeIssues(parsed.error) };
  }
  const { id, timestamp, action, target } = parsed.data;
  if (action !== 'push') return { kind: 'skip', id, reason: `action is ${action}, only pushes are read` };
  const mediaType = target.mediaType ?? '';
  if (!isIndexMediaType(mediaType) && !isImageManifestMediaType(mediaType)) {
    return { kind: 'skip', id, reason: `media type ${mediaType || '(none)'} is not a manifest or index` };
  }
  if (target.tag === undefined || target.tag === '') {
    return { kind: 'skip', id, reason: 'push by digest without a tag' };
  }
  if (!isDigest(target.digest)) {
    return { kind: 'invalid', id, reason: `target.digest: ${target.digest ?? '(missing)'} is not a sha256 digest` };
  }
  const event: EcrImageActionEvent = {
    version: '0',
    id,
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: origin.account,
    time: toEventTime(timestamp),
    region: origin.region,
    resources: [],
    detail: {
      result: 'SUCCESS',
      'repository-name': target.repository,
      'image-digest': target.digest,
      'action-type': 'PUSH',
      'image-tag': target.tag,
      'manifest-media-type': mediaType,
      ...configOf(mediaType, target.references),
    },
  };
  return { kind: 'push', id, event };
}

/**
 * The config an image manifest's notification names (its first reference), so the handler reads it
 * beside the manifest. Nothing when the push is not an image manifest or the reference is not a
 * config: the handler then reads the config the manifest names, after it, as on AWS.
 */
function configOf(mediaType: string, references: readonly unknown[] | undefined): Pick<EcrImageActionEvent['detail'], 'manifest-config'> {
  if (!isImageManifestMediaType(mediaType)) return {};
  const config = ConfigReferenceSchema.safeParse(references?.[0]);
  return config.success ? { 'manifest-config': config.data } : {};
}

/**
 * distribution stamps events with RFC 3339 nanoseconds (`…:49.053985494Z`); EventBridge carries an
 * ISO 8601 instant. Milliseconds keep the order of pushes and parse everywhere. A timestamp that
 * does not parse is passed on unchanged rather than dropping the push.
 */
function toEventTime(timestamp: string): string {
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? timestamp : new Date(ms).toISOString();
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`).join('; ');
}
