import { AnnotationLimits, annotationKeyProblem, isCreatedTime, OCI_IMAGE_PREFIX } from './annotations.ts';

/**
 * Bounds on what one image config contributes to its recorded image. A version record holds every
 * platform's image in one DynamoDB item (400 KB at most), so each image's share stays small.
 */
export const ImageMetadataLimits = { labels: 16, totalLength: 4096, createdLength: 64 } as const;

/** What an image config says that the index may inherit. */
export interface ImageConfigMetadata {
  /** The `org.opencontainers.image.*` labels kept (sorted by key); absent when there are none. */
  readonly labels?: Readonly<Record<string, string>>;
  /** The config's `created`, when it is an RFC 3339 time. */
  readonly created?: string;
  /** Labels or values passed over, each with the reason, for the log. */
  readonly notes: readonly string[];
}

/**
 * Reads the labels under `org.opencontainers.image.` (`config.Labels`) and the `created` time of a
 * parsed image config (OCI or Docker: the same fields). Keeps labels in key order while they fit
 * {@link ImageMetadataLimits}, so the same config always keeps the same ones.
 *
 * @see https://github.com/opencontainers/image-spec/blob/v1.1.1/config.md
 */
export function readImageConfigMetadata(config: unknown): ImageConfigMetadata {
  const notes: string[] = [];
  const body = isRecord(config) ? config : {};
  const inner = isRecord(body.config) ? body.config : {};
  const rawLabels = isRecord(inner.Labels) ? inner.Labels : {};
  const keys = Object.keys(rawLabels)
    .filter((key) => key.startsWith(OCI_IMAGE_PREFIX))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const labels: Array<[string, string]> = [];
  let total = 0;
  for (const key of keys) {
    const value = rawLabels[key];
    const problem =
      annotationKeyProblem(key) ??
      (typeof value !== 'string'
        ? 'not a string'
        : value.length > AnnotationLimits.valueLength
          ? `longer than ${AnnotationLimits.valueLength} characters`
          : labels.length >= ImageMetadataLimits.labels
            ? `more than ${ImageMetadataLimits.labels} org.opencontainers.image labels`
            : total + key.length + value.length > ImageMetadataLimits.totalLength
              ? `the labels kept exceed ${ImageMetadataLimits.totalLength} characters`
              : undefined);
    if (problem !== undefined) {
      notes.push(`label ${key} not inherited: ${problem}`);
      continue;
    }
    labels.push([key, value as string]);
    total += key.length + (value as string).length;
  }
  const created = body.created;
  const keepCreated = typeof created === 'string' && created.length <= ImageMetadataLimits.createdLength && isCreatedTime(created);
  if (created !== undefined && !keepCreated)
    notes.push(`created ${JSON.stringify(created).slice(0, 80)} is not an RFC 3339 time; not inherited`);
  return {
    ...(labels.length > 0 ? { labels: Object.fromEntries(labels) } : {}),
    ...(keepCreated ? { created } : {}),
    notes,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
