import type { VersionEventData } from './version-events.ts';

// Apart from version-events.ts (which builds the events and needs the readiness rules to): the
// adapters that send an event need only this, and the EventBridge adapter is loaded on demand by
// the Lambda functions, so it should not share the building code with their cold start.

/** The payload as sent: the data and the registry host, `registry` before `revision`. */
export type VersionEventPayload = Omit<VersionEventData, 'revision'> & { readonly registry: string; readonly revision: number };

/** The payload as both destinations send it: the data with the registry host, in one fixed key order. */
export function formatEventPayload(data: VersionEventData, registry: string): VersionEventPayload {
  return {
    repository: data.repository,
    version: data.version,
    state: data.state,
    digest: data.digest,
    mediaType: data.mediaType,
    tags: data.tags,
    platforms: data.platforms,
    missingPlatforms: data.missingPlatforms,
    error: data.error,
    registry,
    revision: data.revision,
  };
}
