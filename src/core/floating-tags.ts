import type { RawManifest } from './descriptor.ts';
import { DomainError, ErrorCodes } from './errors.ts';
import { type FloatingPointer, floatingRank } from './floating-pointer.ts';
import { isIndexMediaType } from './media-types.ts';
import type { FloatingTagPointers, PublishedTags, UseCaseDependencies } from './ports.ts';
import type { RepositoryConfig } from './repository-config.ts';
import { isRelease, parseSemver } from './semver.ts';
import { floatingTargetTags } from './target-tags.ts';

/** What moving floating tags needs: their pointers, the tags put, the registry and the log. */
type FloatingTagDependencies = UseCaseDependencies<FloatingTagPointers & PublishedTags, 'registry' | 'logger'>;

/** Puts an index under a tag (publish-version passes its retrying put). */
export type PutIndex = (tag: string, manifest: RawManifest) => Promise<void>;

/** Where one floating tag ended up after a publish: moved to (or kept on) this version, or left on a higher one. */
export interface FloatingTagResult {
  readonly tag: string;
  readonly outcome: 'moved' | 'stays';
  /** The pointer the tag follows now. */
  readonly pointer: FloatingPointer;
}

/** Rounds of "put, then the pointer moved on meanwhile" before giving up with a retryable error. */
const MAX_SETTLE_ROUNDS = 5;

/**
 * Moves the floating tags of a release (`latest`, `{major}.{minor}`…) forward to its index.
 *
 * Each tag has a pointer in the store that a conditional write only lets move forward (higher
 * version, or a newer revision of the same one). A publisher claims the pointer, then puts the index,
 * then reads the pointer again: if a higher version claimed it meanwhile, the put it just made may
 * have landed after that version's put, so it puts the higher version's index (fetched from the
 * registry by digest) and checks again. Whoever puts last therefore always puts what the pointer
 * says, and a late put of a lower version is never the last word. A publisher refused the claim does
 * nothing unless the tag holds its own index (a put of an earlier attempt that failed before it could
 * check): then it is the one that must put the pointer's index back.
 * Pre-releases and versions that are not semver move nothing.
 */
export async function moveFloatingTags(
  deps: FloatingTagDependencies,
  input: { repository: string; version: string; revision: number; manifest: RawManifest; config: RepositoryConfig },
  put: PutIndex,
): Promise<FloatingTagResult[]> {
  const { repository, version, revision, manifest } = input;
  const semver = parseSemver(version);
  if (semver === undefined || !isRelease(semver)) return [];
  const results: FloatingTagResult[] = [];
  for (const tag of floatingTargetTags(input.config, version)) {
    const pointer: FloatingPointer = { tag, version, digest: manifest.digest, revision, rank: floatingRank(semver, version, revision) };
    results.push(await advanceFloatingTag(deps, repository, pointer, { known: manifest, put }));
  }
  return results;
}

/**
 * Claims one floating tag for `pointer` and, when claimed, settles the registry tag on it. When a
 * higher version holds the pointer, puts its index back only if the tag holds this pointer's index.
 */
export async function advanceFloatingTag(
  deps: FloatingTagDependencies,
  repository: string,
  pointer: FloatingPointer,
  options: { known?: RawManifest; put?: PutIndex } = {},
): Promise<FloatingTagResult> {
  const { tag, version } = pointer;
  const claim = await deps.store.claimFloatingTag(repository, pointer);
  if (claim.kind === 'claimed') return { tag, outcome: 'moved', pointer: await settleFloatingTag(deps, repository, pointer, options) };
  const higher = claim.pointer;
  if (higher.digest !== pointer.digest && (await deps.registry.resolveTag(repository, tag)) === pointer.digest) {
    deps.logger.warn('a floating tag still holds this version after a higher one claimed it; putting the higher index back', {
      repository,
      version,
      tag,
      higher: higher.version,
    });
    await settleFloatingTag(deps, repository, higher, options);
  }
  deps.logger.info('floating tag stays on a higher version', { repository, version, tag, on: higher.version });
  return { tag, outcome: 'stays', pointer: higher };
}

/**
 * Makes the registry tag hold what its pointer says: puts the pointer's index unless the tag holds it
 * already, then reads the pointer again and repeats while it moved on meanwhile. Returns the pointer
 * the tag holds at the end. Every put is remembered first, so its push event is ignored.
 */
export async function settleFloatingTag(
  deps: FloatingTagDependencies,
  repository: string,
  target: FloatingPointer,
  options: { known?: RawManifest; put?: PutIndex } = {},
): Promise<FloatingPointer> {
  const put = options.put ?? ((tag, manifest) => deps.registry.putManifest(repository, tag, manifest));
  const { tag } = target;
  for (let round = 1; ; round++) {
    // PutImage has a small quota shared with every docker push: no put when the tag holds the index.
    if ((await deps.registry.resolveTag(repository, tag)) === target.digest) return target;
    const manifest = options.known?.digest === target.digest ? options.known : await fetchPublishedIndex(deps, repository, target);
    await deps.store.rememberPublishedTag({ repository, tag, digest: target.digest });
    await put(tag, manifest);
    const now = await deps.store.getFloatingTag(repository, tag);
    if (now === undefined || now.digest === target.digest) return target;
    if (round >= MAX_SETTLE_ROUNDS) {
      throw new DomainError(ErrorCodes.busy, `floating tag ${tag} of ${repository} kept moving while it was being put; will retry`, {
        retryable: true,
      });
    }
    deps.logger.info('a higher version claimed the floating tag while it was being put; putting its index', {
      repository,
      tag,
      put: target.version,
      now: now.version,
    });
    target = now;
  }
}

/** The index a pointer names, fetched by digest (the registry adapter verifies the bytes against it). */
async function fetchPublishedIndex(deps: FloatingTagDependencies, repository: string, pointer: FloatingPointer): Promise<RawManifest> {
  const manifest = await deps.registry.fetchManifest(repository, pointer.digest);
  if (!isIndexMediaType(manifest.mediaType)) {
    throw new DomainError(
      ErrorCodes.unsupportedManifest,
      `${repository}@${pointer.digest}, published for ${pointer.version}, is not an index (${manifest.mediaType})`,
    );
  }
  return manifest;
}
