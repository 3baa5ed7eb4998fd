import type { Descriptor, RawManifest } from '../../src/core/descriptor.ts';
import { computeDigest } from '../../src/core/digest.ts';
import { readImageConfigMetadata } from '../../src/core/image-config-metadata.ts';
import { buildIndex } from '../../src/core/index-builder.ts';
import { ACCEPTED_MANIFEST_MEDIA_TYPES, Annotations, isIndexMediaType } from '../../src/core/media-types.ts';
import { formatPlatform, isUnknownPlatform, normalisePlatform, type Platform, platformFromJson } from '../../src/core/platform.ts';
import type { VersionStore } from '../../src/core/ports.ts';
import { deriveState, hasRefusals, missingPlatforms, selectIndexImages } from '../../src/core/readiness.ts';
import type { RepositoryConfig } from '../../src/core/repository-config.ts';
import { compareSemver, parseSemver } from '../../src/core/semver.ts';
import { compileTagPattern, matchTag } from '../../src/core/tag-pattern.ts';
import { exactTargetTags, floatingTargetTags } from '../../src/core/target-tags.ts';
import type { VersionHistory } from '../../src/core/version-history.ts';
import type { RecordedImage, VersionRecord } from '../../src/core/version-record.ts';
import { expectValidIndex } from './expect-valid-index.ts';
import type { LogLine } from './fakes.ts';

/**
 * The invariants of docs/reliability.md, checked against the registry itself (plain HTTP, no product code
 * reading it) and the store, once events have stopped. Each check returns violations as sentences
 * rather than failing at the first, so one failure message shows everything that went wrong.
 */

/** An index PUT the registry accepted (counted in a port wrapper or in the fault proxy). */
export interface IndexPut {
  readonly tag: string;
  readonly digest: string;
}

/** One delivery of one event to the handler, and how it ended. */
export interface Delivery {
  readonly eventId: string;
  readonly tag: string | undefined;
  readonly digest: string;
  /** The handler's outcome kind (`recorded`, `ignored`, `rejected`, `conflict`) or `thrown`. */
  readonly outcome: string;
  /** Whether this was the last attempt of its event (nothing redelivers it after). */
  readonly final: boolean;
}

export interface RegistryStateInput {
  /** The registry itself (not a fault proxy). */
  readonly registryUrl: string;
  readonly repository: string;
  readonly config: RepositoryConfig;
  readonly store: VersionStore;
  readonly nowMs: number;
  /** Printed in every violation, so a failing run can be replayed. */
  readonly seed: number | string;
  readonly indexPuts?: readonly IndexPut[];
  /** Every PUT tried, accepted or not (a timed-out PUT may have landed); evidence that a served index was put by us. */
  readonly indexPutAttempts?: readonly IndexPut[];
  /** Accepted PUTs allowed per distinct index digest and target tag (bounded retries). Default 3. */
  readonly maxPutsPerIndex?: number;
  /** Versions expected to be incomplete (their target tags must not exist). */
  readonly expectIncomplete?: readonly string[];
  /**
   * Whether a live lease on a published version is a violation (default true). A process that lost
   * the store after publishing cannot give its lease back; it then only delays the next publish
   * until it expires, so suites that cut the store off count such leases instead.
   */
  readonly forbidLeftoverLeases?: boolean;
}

export interface RegistryStateReport {
  readonly versions: number;
  readonly complete: number;
  readonly incomplete: number;
  readonly distinctIndexes: number;
  readonly indexPuts: number;
  /** The most PUTs of one index under one tag. */
  readonly maxPutsOfOneIndex: number;
  /** Published versions with a live lease still on them. */
  readonly leasesLeft: number;
  readonly violations: string[];
}

interface Fetched {
  readonly status: number;
  readonly raw: RawManifest;
}

async function getManifest(registryUrl: string, repository: string, reference: string): Promise<Fetched> {
  const response = await fetch(`${registryUrl}/v2/${repository}/manifests/${reference}`, {
    headers: { accept: ACCEPTED_MANIFEST_MEDIA_TYPES.join(', ') },
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  return { status: response.status, raw: { mediaType, digest: computeDigest(bytes), size: bytes.byteLength, bytes } };
}

async function getJsonBlob(registryUrl: string, repository: string, digest: string): Promise<unknown> {
  const response = await fetch(`${registryUrl}/v2/${repository}/blobs/${digest}`);
  if (!response.ok) throw new Error(`blob ${repository}@${digest}: HTTP ${response.status}`);
  return JSON.parse(await response.text()) as unknown;
}

async function listTags(registryUrl: string, repository: string): Promise<string[]> {
  const response = await fetch(`${registryUrl}/v2/${repository}/tags/list?n=10000`);
  if (response.status === 404) return [];
  const body = (await response.json()) as { tags?: string[] | null };
  return body.tags ?? [];
}

function parseJson(raw: RawManifest): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(raw.bytes)) as Record<string, unknown>;
}

/** The images a per-arch tag points to now, read from the registry (docs/architecture.md, "How a push becomes an index", step 2). */
async function readTagImages(registryUrl: string, repository: string, tag: string): Promise<RecordedImage[]> {
  const root = await getManifest(registryUrl, repository, tag);
  if (root.status !== 200) return [];
  const body = parseJson(root.raw);
  const base = { tag, sourceDigest: root.raw.digest, pushedAt: '' };
  // What the index inherits: the config's org.opencontainers.image labels and created time.
  const inherited = async (manifest: Record<string, unknown>) => {
    const { labels, created } = readImageConfigMetadata(
      await getJsonBlob(registryUrl, repository, (manifest.config as { digest: string }).digest),
    );
    return { ...(labels === undefined ? {} : { labels }), ...(created === undefined ? {} : { created }) };
  };
  if (!isIndexMediaType(root.raw.mediaType)) {
    const config = (body.config as { digest: string }).digest;
    const platform = platformFromJson(await getJsonBlob(registryUrl, repository, config));
    if (platform === undefined || isUnknownPlatform(platform)) return [];
    const normal = normalisePlatform(platform);
    return [
      {
        ...base,
        key: formatPlatform(normal),
        platform: normal,
        digest: root.raw.digest,
        mediaType: root.raw.mediaType,
        size: root.raw.size,
        attestations: [],
        ...(await inherited(body)),
      },
    ];
  }
  const children = (body.manifests ?? []) as Array<Descriptor & { platform?: unknown }>;
  const isAttestation = (child: { annotations?: Readonly<Record<string, string>>; platform?: unknown }): boolean =>
    child.annotations?.[Annotations.referenceType] === Annotations.attestationManifest ||
    (platformFromJson(child.platform) !== undefined && isUnknownPlatform(platformFromJson(child.platform) as Platform));
  const images: RecordedImage[] = [];
  for (const child of children.filter((c) => !isAttestation(c))) {
    const stored = await getManifest(registryUrl, repository, child.digest);
    const json = platformFromJson(child.platform);
    if (json === undefined) continue;
    const platform = normalisePlatform(json);
    const attestations = children
      .filter((c) => isAttestation(c) && c.annotations?.[Annotations.referenceDigest] === child.digest)
      .map(({ platform: _ignored, ...descriptor }) => descriptor as Descriptor);
    images.push({
      ...base,
      key: formatPlatform(platform),
      platform,
      digest: stored.raw.digest,
      mediaType: stored.raw.mediaType,
      size: stored.raw.size,
      attestations,
      ...(await inherited(parseJson(stored.raw))),
    });
  }
  return images;
}

/**
 * Checks invariants 1, 2, 3 and 5 of docs/reliability.md for every version that has per-arch tags in the
 * repository: a complete version's target tags hold exactly buildIndex(the images its per-arch tags
 * point to now), byte for byte; an incomplete one has no target tag; the store reports the same;
 * no distinct index was accepted more than `maxPutsPerIndex` times.
 */
export async function checkRegistryState(input: RegistryStateInput): Promise<RegistryStateReport> {
  const { registryUrl, repository, config, store, seed } = input;
  const violations: string[] = [];
  const fail = (message: string): void => {
    violations.push(`[seed ${seed}] ${repository}: ${message}`);
  };
  const { byVersion, targets: targetTags } = await tagsByVersion(registryUrl, repository, config);

  let complete = 0;
  let incomplete = 0;
  let leasesLeft = 0;
  const currentIndexes = new Set<string>();
  for (const [version, versionTags] of [...byVersion].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const images = new Map<string, RecordedImage>();
    for (const tag of versionTags.filter((t) => !targetTags.has(t)).sort()) {
      for (const image of await readTagImages(registryUrl, repository, tag)) {
        const other = images.get(image.key);
        if (other !== undefined && other.digest !== image.digest)
          fail(`${version}: tags ${other.tag} and ${tag} both hold platform ${image.key} (a conflict the test did not plan)`);
        else if (other === undefined) images.set(image.key, image);
      }
    }
    const now = { images: Object.fromEntries(images) };
    const missing = missingPlatforms(config, now);
    const record = await store.getVersion({ repository, version });
    // Exact tags only: floating ones (`latest`, `2.7`) follow the highest release (checkFloatingTags).
    const targets = exactTargetTags(config, version);

    if (missing.length > 0) {
      incomplete++;
      if (input.expectIncomplete !== undefined && !input.expectIncomplete.includes(version))
        fail(`${version} is incomplete (missing ${missing.join(', ')}) but the test pushed all of it`);
      for (const tag of targets) {
        const served = await getManifest(registryUrl, repository, tag);
        if (served.status !== 404) fail(`${version} is missing ${missing.join(', ')} but ${tag} exists (${served.raw.digest})`);
      }
      // A refused push of a missing platform makes it `failed` (the refusal is its error); otherwise it waits.
      const expectedState = record !== undefined && hasRefusals(record) ? 'failed' : 'waiting';
      if (record !== undefined && deriveState(config, record, input.nowMs) !== expectedState)
        fail(`${version}: the store says ${deriveState(config, record, input.nowMs)}, expected ${expectedState}`);
      continue;
    }

    complete++;
    if (input.expectIncomplete?.includes(version)) fail(`${version} was expected to be incomplete but all its platforms are there`);
    const expected = buildIndex(selectIndexImages(config, now), config.indexMediaType, config.annotations).manifest;
    currentIndexes.add(expected.digest);
    for (const tag of targets) {
      const served = await getManifest(registryUrl, repository, tag);
      if (served.status !== 200) {
        fail(`${version} is complete but ${tag} answers ${served.status}: its index was never published (inv. 1)`);
        continue;
      }
      try {
        expectValidIndex(served.raw);
      } catch (error) {
        fail(`${tag} (${served.raw.digest}) is not a valid index: ${(error as Error).message}`);
      }
      if (served.raw.digest !== expected.digest || Buffer.compare(Buffer.from(served.raw.bytes), Buffer.from(expected.bytes)) !== 0) {
        const children = (parseJson(served.raw).manifests as Array<{ digest: string; platform?: unknown }> | undefined) ?? [];
        fail(
          `${tag} holds ${served.raw.digest}, not buildIndex of what the per-arch tags point to now (${expected.digest}); ` +
            `served children ${children.map((c) => `${JSON.stringify(c.platform)}=${c.digest.slice(7, 19)}`).join(' ')}; ` +
            `expected ${[...images.values()].map((i) => `${i.key}=${i.digest.slice(7, 19)}`).join(' ')} (inv. 1, 2)`,
        );
      }
    }
    // Invariant 5: what the API would report is what the registry holds.
    if (record === undefined) {
      fail(`${version} is published in the registry but has no record`);
      continue;
    }
    for (const image of images.values()) {
      const recorded = record.images[image.key];
      if (recorded?.digest !== image.digest)
        fail(`${version}: the store has ${image.key}=${recorded?.digest ?? 'nothing'}, the registry ${image.digest} (inv. 5)`);
    }
    for (const problem of checkHistory(record, await store.getHistory({ repository, version }))) fail(`${version}: ${problem}`);
    const state = deriveState(config, record, input.nowMs);
    if (state !== 'published')
      fail(`${version}: the store says ${state}${record.error ? ` (${record.error.message})` : ''}, expected published (inv. 5)`);
    if (record.published?.digest !== expected.digest)
      fail(`${version}: the store says published ${record.published?.digest ?? 'nothing'}, the registry holds ${expected.digest} (inv. 5)`);
    if (record.lease !== undefined && record.lease.until > input.nowMs) {
      leasesLeft++;
      if (input.forbidLeftoverLeases !== false) fail(`${version}: a live lease is left behind by ${record.lease.owner}`);
    }
  }

  const putsByDigest = new Map<string, number>();
  const putsByTagAndDigest = new Map<string, number>();
  for (const put of input.indexPuts ?? []) {
    putsByDigest.set(put.digest, (putsByDigest.get(put.digest) ?? 0) + 1);
    putsByTagAndDigest.set(`${put.digest} under ${put.tag}`, (putsByTagAndDigest.get(`${put.digest} under ${put.tag}`) ?? 0) + 1);
  }
  const maxPuts = input.maxPutsPerIndex ?? 3;
  for (const [what, count] of putsByTagAndDigest) {
    if (count > maxPuts) fail(`index ${what} was put ${count} times (more than ${maxPuts}: once per event, not bounded retries; inv. 3)`);
  }
  if (input.indexPuts !== undefined) {
    // A PUT the client saw fail (a timeout, a cut answer) may still have landed, and the retry then
    // skips the put because the tag already holds the index: attempts count as evidence too.
    const attempted = new Set((input.indexPutAttempts ?? []).map((put) => put.digest));
    for (const digest of currentIndexes) {
      if (!putsByDigest.has(digest) && !attempted.has(digest)) fail(`index ${digest} is served but no PUT of it was counted`);
    }
  }
  return {
    versions: byVersion.size,
    complete,
    incomplete,
    distinctIndexes: putsByDigest.size,
    indexPuts: input.indexPuts?.length ?? 0,
    maxPutsOfOneIndex: Math.max(0, ...putsByTagAndDigest.values()),
    leasesLeft,
    violations,
  };
}

/**
 * The repository's tags, grouped by the version the tag pattern reads from them, and the target tags
 * those versions make. A target tag can match the per-arch pattern too (`2.7-rc1`; `2.0.1-rc.1` read as
 * version 2.0.1, platform rc.1): it is not a per-arch tag, and a "version" with only such tags is none.
 */
async function tagsByVersion(
  registryUrl: string,
  repository: string,
  config: RepositoryConfig,
): Promise<{ tags: string[]; byVersion: Map<string, string[]>; targets: Set<string> }> {
  const pattern = await compileTagPattern(config.tagPattern);
  const tags = await listTags(registryUrl, repository);
  const byVersion = new Map<string, string[]>();
  for (const tag of tags) {
    const match = matchTag(pattern, tag);
    if (match !== undefined) byVersion.set(match.version, [...(byVersion.get(match.version) ?? []), tag]);
  }
  const targets = targetTagsOf(config, [...byVersion.keys()]);
  for (const [version, versionTags] of byVersion) if (versionTags.every((tag) => targets.has(tag))) byVersion.delete(version);
  return { tags, byVersion, targets };
}

/** Every exact and floating target tag the versions make. */
function targetTagsOf(config: RepositoryConfig, versions: readonly string[]): Set<string> {
  return new Set(versions.flatMap((version) => [...exactTargetTags(config, version), ...floatingTargetTags(config, version)]));
}

export interface FloatingTagsReport {
  /** Floating tags checked, each with the version it must hold. */
  readonly floating: Record<string, string>;
  readonly violations: string[];
}

/**
 * The floating-tag invariant, once events have stopped: each floating tag (`latest`, `{major}.{minor}`)
 * holds, byte for byte, the index of the highest complete release among the versions whose per-arch
 * tags are in the registry (ties of precedence broken by version text, as the pointers do), never a
 * lower one; its store pointer names that version and index; and no floating tag exists that no
 * complete release makes.
 */
export async function checkFloatingTags(
  input: Pick<RegistryStateInput, 'registryUrl' | 'repository' | 'config' | 'store' | 'seed'>,
): Promise<FloatingTagsReport> {
  const { registryUrl, repository, config, store, seed } = input;
  const violations: string[] = [];
  const fail = (message: string): void => {
    violations.push(`[seed ${seed}] ${repository}: ${message} (floating-tag invariant)`);
  };
  const { tags, byVersion, targets } = await tagsByVersion(registryUrl, repository, config);
  const highest = new Map<string, { version: string; digest: string }>();
  const versionOfIndex = new Map<string, string>();
  const releases = [...byVersion.keys()]
    .filter((version) => floatingTargetTags(config, version).length > 0)
    .sort((a, b) => compareSemver(parseSemver(a)!, parseSemver(b)!) || (a < b ? -1 : a > b ? 1 : 0));
  for (const version of releases) {
    const images = new Map<string, RecordedImage>();
    for (const tag of byVersion.get(version)!.filter((t) => !targets.has(t))) {
      for (const image of await readTagImages(registryUrl, repository, tag)) if (!images.has(image.key)) images.set(image.key, image);
    }
    const now = { images: Object.fromEntries(images) };
    if (missingPlatforms(config, now).length > 0) continue;
    const digest = buildIndex(selectIndexImages(config, now), config.indexMediaType).manifest.digest;
    versionOfIndex.set(digest, version);
    for (const tag of floatingTargetTags(config, version)) highest.set(tag, { version, digest });
  }
  for (const [tag, want] of highest) {
    const served = await getManifest(registryUrl, repository, tag);
    if (served.status !== 200) fail(`${tag} answers ${served.status}, but ${want.version} is a complete release that makes it`);
    else if (served.raw.digest !== want.digest) {
      const held = versionOfIndex.get(served.raw.digest);
      fail(
        `${tag} holds ${served.raw.digest} (${held === undefined ? 'no current index of a release' : `the index of ${held}, lower`}), not ${want.version}'s index ${want.digest}`,
      );
    }
    const pointer = await store.getFloatingTag(repository, tag);
    if (pointer?.version !== want.version || pointer.digest !== want.digest) {
      fail(
        `the ${tag} pointer names ${pointer === undefined ? 'nothing' : `${pointer.version} (${pointer.digest})`}, not ${want.version} (${want.digest})`,
      );
    }
  }
  for (const tag of tags) {
    if (!targets.has(tag) || highest.has(tag)) continue;
    const floatingOnly = ![...byVersion.keys()].some((version) => exactTargetTags(config, version).includes(tag));
    if (floatingOnly) fail(`${tag} exists, but no complete release makes it`);
  }
  return { floating: Object.fromEntries([...highest].map(([tag, { version }]) => [tag, version])), violations };
}

/**
 * The history of a version, against its record once events have stopped: entries numbered without
 * a gap or a repeat (no append lost to a concurrent writer, none written twice), no change recorded
 * twice, and the changes the record shows (each image it holds, its publish) all recorded.
 */
export function checkHistory(record: VersionRecord, history: VersionHistory): string[] {
  const problems: string[] = [];
  const { entries } = history;
  entries.forEach((entry, i) => {
    const expected = history.sequence - entries.length + 1 + i;
    if (entry.sequence !== expected)
      problems.push(`history entry ${i} has sequence ${entry.sequence}, expected ${expected} (an append was lost or doubled)`);
  });
  const ids = entries.map((e) => e.id);
  const doubled = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (doubled.length > 0) problems.push(`history records ${doubled.join(', ')} more than once`);
  // Bounded: with the full HISTORY_LIMIT kept, the oldest changes may have been dropped on purpose.
  const complete = history.sequence === entries.length;
  for (const image of Object.values(record.images)) {
    const recorded = entries.some(
      (e) => e.kind === 'push-recorded' && e.platform === image.key && e.digest === image.digest && e.tag === image.tag,
    );
    if (!recorded && complete) problems.push(`history lacks the push of ${image.tag} (${image.key} ${image.digest})`);
  }
  const { published } = record;
  if (published !== undefined) {
    const recorded = entries.some(
      (e) =>
        (e.kind === 'published' || e.kind === 'published-partially') && e.digest === published.digest && e.revision === published.revision,
    );
    if (!recorded) problems.push(`history lacks the publish of ${published.digest} (revision ${published.revision})`);
  }
  return problems;
}

/**
 * Invariant 4 of docs/reliability.md: every delivery ended recorded, ignored or rejected with a logged reason, or
 * thrown with a logged failure (and then redelivered or dead-lettered, never dropped).
 */
export function checkDeliveries(deliveries: readonly Delivery[], lines: readonly LogLine[], seed: number | string): string[] {
  const violations: string[] = [];
  const byEvent = new Map<string, LogLine[]>();
  for (const line of lines) {
    const id = line.fields.eventId;
    if (typeof id === 'string') byEvent.set(id, [...(byEvent.get(id) ?? []), line]);
  }
  const known = new Set(['recorded', 'ignored', 'rejected', 'conflict', 'thrown']);
  for (const delivery of deliveries) {
    const where = `[seed ${seed}] event ${delivery.eventId} (${delivery.tag ?? 'no tag'} ${delivery.digest.slice(0, 19)})`;
    if (!known.has(delivery.outcome)) violations.push(`${where}: unknown outcome ${delivery.outcome}`);
    const logged = byEvent.get(delivery.eventId) ?? [];
    const expectedLine =
      delivery.outcome === 'thrown'
        ? (l: LogLine) => l.level === 'error' && /will be retried or dead-lettered/.test(l.message)
        : delivery.outcome === 'ignored'
          ? (l: LogLine) => /ignored/.test(l.message)
          : delivery.outcome === 'rejected'
            ? (l: LogLine) => /rejected/.test(l.message)
            : delivery.outcome === 'conflict'
              ? (l: LogLine) => /conflict/.test(l.message)
              : (l: LogLine) => l.message === 'push recorded';
    if (!logged.some(expectedLine)) violations.push(`${where}: ended ${delivery.outcome} without a log line saying so (inv. 4)`);
    if (delivery.final && delivery.outcome === 'thrown')
      violations.push(`${where}: still failing after the last redelivery (dead-lettered)`);
  }
  return violations;
}
