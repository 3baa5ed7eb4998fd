/**
 * What the page reads from the API. Everything beyond the contract's core fields is optional, so a
 * server with more (floating `tags`, `notes`, refused pushes in `rejected`) or fewer fields still renders.
 */
export interface RepositoryEntry {
  readonly repository: string;
  readonly config: {
    readonly requiredPlatforms?: readonly string[];
    readonly optionalPlatforms?: readonly string[];
    readonly targetTags?: readonly string[];
  };
}

export interface ImageEntry {
  readonly platform: string;
  readonly digest: string;
  readonly mediaType?: string;
  readonly size?: number;
  readonly tag?: string;
  readonly pushedAt?: string;
}

export interface RejectedPush {
  readonly tag?: string;
  readonly digest?: string;
  readonly reason?: string;
  readonly at?: string;
}

export interface VersionStatus {
  readonly repository: string;
  readonly version: string;
  readonly state: string;
  readonly requiredPlatforms?: readonly string[];
  readonly missingPlatforms?: readonly string[];
  readonly images?: readonly ImageEntry[];
  readonly published?: {
    readonly digest: string;
    readonly mediaType?: string;
    readonly tags?: readonly string[];
    readonly at?: string;
    readonly partial?: boolean;
    readonly revision?: number;
  } | null;
  readonly error?: string | { readonly message?: string } | null;
  readonly updatedAt?: string;
  /** Tags pointing at this version now (exact and floating), when the server reports them. */
  readonly tags?: readonly string[];
  readonly notes?: readonly unknown[];
  readonly rejected?: readonly RejectedPush[];
}

/** One entry of a version's history: `kind` and `at` always; the rest depends on the kind. */
export interface HistoryEntry {
  readonly kind?: string;
  readonly at?: string;
  readonly [field: string]: unknown;
}
