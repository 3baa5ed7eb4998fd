/** What a registry request was for: every error message names the repository and the reference. */
export interface RequestContext {
  /** A verb phrase for messages: `fetch manifest`, `put manifest`, `list tags`… */
  readonly operation: string;
  readonly repository: string;
  /** A digest, a tag, or undefined for repository-wide calls. */
  readonly reference?: string | undefined;
  /** The registry's base URL (never with credentials). */
  readonly registry: string;
}

/** `repo@sha256:…`, `repo:tag` or `repo`, as people write image references. */
export function formatReference(context: Pick<RequestContext, 'repository' | 'reference'>): string {
  const { repository, reference } = context;
  if (reference === undefined) return repository;
  return reference.includes(':') ? `${repository}@${reference}` : `${repository}:${reference}`;
}

/** `fetch manifest team/app@sha256:… at http://127.0.0.1:5000` */
export function describeRequest(context: RequestContext): string {
  return `${context.operation} ${formatReference(context)} at ${context.registry}`;
}
