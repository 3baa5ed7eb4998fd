import type { Descriptor, RawManifest } from '../core/descriptor.ts';
import { Limits } from '../core/media-types.ts';
import type { ImageRegistry } from '../core/ports.ts';
import { readCounterSeries, renderCounterFamily } from './observability/prometheus-counters.ts';

/**
 * How many reads were started ahead, handed out to the handler that asked, not started because as
 * many as `capacity` were waiting already, and dropped unread after `maxAgeMs` (their push was
 * ignored before its reads, or its handler has not run yet: it then reads afresh).
 */
export interface ReadsAheadStats {
  readonly started: number;
  readonly used: number;
  readonly skipped: number;
  readonly expired: number;
}

export const READS_AHEAD_METRIC = 'manifest_assembler_registry_reads_ahead_total';

/** The reads ahead in the Prometheus text format, for `GET /metrics`: one series per outcome. */
export function renderReadsAhead(stats: ReadsAheadStats): string {
  return renderCounterFamily(
    READS_AHEAD_METRIC,
    "Registry reads by digest started before their push's handler ran, by what became of them.",
    Object.entries(stats).map(([outcome, value]) => ({ labels: { outcome }, value })),
  );
}

/** Reads the reads ahead back out of a `/metrics` text: outcome → count (the bench and the tests). */
export function parseReadsAhead(metricsText: string): Record<string, number> {
  return Object.fromEntries(
    readCounterSeries(metricsText, READS_AHEAD_METRIC).flatMap(({ labels, value }) =>
      labels.outcome === undefined ? [] : [[labels.outcome, value]],
    ),
  );
}

export interface PrefetchingImageRegistryOptions {
  /**
   * Reads kept waiting for their reader, at most (default 8: four pushes). A read ahead is not
   * started beyond it rather than one dropped for it: a dropped read would be sent again.
   */
  readonly capacity?: number;
  /** How long a read ahead waits for its reader before it is dropped (default 60 s). */
  readonly maxAgeMs?: number;
  readonly now?: () => number;
}

/**
 * An {@link ImageRegistry} that can start the reads of a push before its handler runs: the pushed
 * image manifest by digest and its config blob. The local inbox asks for them when a push has to
 * wait behind an earlier push of its version (one version's pushes are handled one at a time), so
 * the registry's round trips overlap that wait instead of following it.
 *
 * Only content named by digest is read ahead: what a digest holds never changes, so a read started
 * early returns what the handler's own read would, and the handler still verifies the bytes against
 * the digest and judges them. Each read ahead is handed out once, to the first caller that asks for
 * it (a retry reads afresh); a read ahead that failed is sent again for the caller, who sees its own
 * read's outcome; nothing is read twice when all goes well, so a push costs the same requests. At
 * most `capacity` reads wait at once (each within the adapter's size caps), so what this holds in
 * memory stays bounded whatever is pushed.
 */
export class PrefetchingImageRegistry implements ImageRegistry {
  readonly #inner: ImageRegistry;
  readonly #capacity: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  /** Reads started ahead and not handed out yet, oldest first (a Map keeps insertion order). */
  readonly #ahead = new Map<string, ReadAhead>();
  readonly #stats = { started: 0, used: 0, skipped: 0, expired: 0 };

  constructor(inner: ImageRegistry, options: PrefetchingImageRegistryOptions = {}) {
    this.#inner = inner;
    this.#capacity = options.capacity ?? 8;
    this.#maxAgeMs = options.maxAgeMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  get stats(): ReadsAheadStats {
    return { ...this.#stats };
  }

  /** Starts reading `digest`'s manifest and, when named, its config blob, for a handler that will ask for them. */
  prefetch(repository: string, digest: string, config?: Descriptor): void {
    this.#start(manifestKey(repository, digest), () => ({ kind: 'manifest', reading: this.#inner.fetchManifest(repository, digest) }));
    if (config !== undefined) {
      this.#start(blobKey(repository, config, Limits.configBytes), () => ({
        kind: 'blob',
        reading: this.#inner.fetchBlob(repository, config, Limits.configBytes),
      }));
    }
  }

  fetchManifest(repository: string, digest: string): Promise<RawManifest> {
    const fresh = () => this.#inner.fetchManifest(repository, digest);
    const ahead = this.#take(manifestKey(repository, digest));
    return ahead?.kind === 'manifest' ? ahead.reading.catch(fresh) : fresh();
  }

  fetchBlob(repository: string, descriptor: Descriptor, maxBytes: number): Promise<Uint8Array> {
    const fresh = () => this.#inner.fetchBlob(repository, descriptor, maxBytes);
    const ahead = this.#take(blobKey(repository, descriptor, maxBytes));
    return ahead?.kind === 'blob' ? ahead.reading.catch(fresh) : fresh();
  }

  resolveTag(repository: string, tag: string): Promise<string | undefined> {
    return this.#inner.resolveTag(repository, tag);
  }

  putManifest(repository: string, tag: string, manifest: RawManifest): Promise<void> {
    return this.#inner.putManifest(repository, tag, manifest);
  }

  listTags(repository: string): Promise<string[]> {
    return this.#inner.listTags(repository);
  }

  #start(key: string, read: () => Read): void {
    if (this.#ahead.has(key)) return;
    const now = this.#now();
    for (const [old, { at }] of this.#ahead) {
      if (now - at < this.#maxAgeMs) break;
      this.#ahead.delete(old);
      this.#stats.expired += 1;
    }
    if (this.#ahead.size >= this.#capacity) {
      this.#stats.skipped += 1;
      return;
    }
    const started = read();
    // Judged by whoever takes it (who then reads afresh); unread, a failure is nobody's concern.
    started.reading.catch(() => undefined);
    this.#ahead.set(key, { ...started, at: now });
    this.#stats.started += 1;
  }

  #take(key: string): Read | undefined {
    const ahead = this.#ahead.get(key);
    if (ahead === undefined) return undefined;
    this.#ahead.delete(key);
    this.#stats.used += 1;
    return ahead;
  }
}

/** A read started ahead, tagged with what it reads, so each reader gets its own type back without a cast. */
type Read =
  | { readonly kind: 'manifest'; readonly reading: Promise<RawManifest> }
  | { readonly kind: 'blob'; readonly reading: Promise<Uint8Array> };
type ReadAhead = Read & { readonly at: number };

const manifestKey = (repository: string, digest: string) => `manifest ${repository} ${digest}`;
const blobKey = (repository: string, descriptor: Descriptor, maxBytes: number) =>
  `blob ${repository} ${descriptor.digest} ${descriptor.size} ${maxBytes}`;
