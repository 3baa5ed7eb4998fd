import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { VersionKey } from '../../core/ports.ts';
import type { RepositoryConfig } from '../../core/repository-config.ts';
import { derivedEntryId, EMPTY_HISTORY, type HistoryEntry, type VersionHistory } from '../../core/version-history.ts';
import type { VersionRecord } from '../../core/version-record.ts';
import { fromAttributeMap, toAttributeMap } from './dynamodb-codec.ts';

/** How the records of the VersionStore are laid out in the single table (see dynamodb-table.ts). */
export type Key = { pk: { S: string }; sk: { S: string } };
export type Item = Record<string, AttributeValue>;

const CONFIGS_PK = 'REPOSITORIES';
export const VERSION_PREFIX = 'VERSION#';
const TAG_PREFIX = 'TAG#';

export const itemKey = (pk: string, sk: string): Key => ({ pk: { S: pk }, sk: { S: sk } });
export const configKey = (repository: string): Key => itemKey(CONFIGS_PK, repository);
export const configsPartition = (): string => CONFIGS_PK;
export const repositoryPartition = (repository: string): string => `REPO#${repository}`;
/** The key of an item in a repository's partition. */
export const inRepository = (repository: string, sk: string): Key => itemKey(repositoryPartition(repository), sk);
export const versionKey = (key: VersionKey): Key => inRepository(key.repository, VERSION_PREFIX + key.version);
/** Where a version's history was kept before it moved onto the version item; still read (and written for a version without a record). */
export const historyKey = (key: VersionKey): Key => inRepository(key.repository, `HISTORY#${key.version}`);
export const tagKey = (repository: string, tag: string): Key => inRepository(repository, TAG_PREFIX + tag);

/**
 * A tag's item remembers the digests manifest-assembler put under it (or saw pushed there by another
 * deployment), so that the push event of its own put is known as such. They are a list, newest last
 * (`recent`), bounded: once it passes twice {@link REMEMBERED_DIGESTS} it is cut back to the newest
 * {@link REMEMBERED_DIGESTS}. An echo arrives within minutes of its put, long before 50 more puts
 * under the same tag; a push of a forgotten digest under a version's target tag is still ignored, as
 * that version's index (versionTagReason). Items written before hold a set (`digests`) that grew
 * with every publish: a tag republished every CI run would have reached DynamoDB's 400 KB item limit
 * after ~5,500 publishes, and every push of its version reads the item. It is still read, and
 * dropped at the first cut.
 */
export const REMEMBERED_DIGESTS_ATTRIBUTE = 'recent';
export const LEGACY_REMEMBERED_DIGESTS_ATTRIBUTE = 'digests';
export const REMEMBERED_DIGESTS = 50;

/** The digests a tag's item remembers (none without an item). */
export function rememberedDigestsOf(item: Item | undefined): string[] {
  const recent = (item?.[REMEMBERED_DIGESTS_ATTRIBUTE]?.L ?? []).flatMap((value) => (value.S === undefined ? [] : [value.S]));
  return [...(item?.[LEGACY_REMEMBERED_DIGESTS_ATTRIBUTE]?.SS ?? []), ...recent];
}

export function toConfigItem(repository: string, config: RepositoryConfig): Item {
  return { ...configKey(repository), config: { M: toAttributeMap(config) } };
}

export function fromConfigItem(item: Item): { repository: string; config: RepositoryConfig } {
  const plain = fromAttributeMap(item);
  const config = plain.config as unknown as RepositoryConfig;
  // Configs stored before `annotations` existed have none.
  return { repository: String(plain.sk), config: { ...config, annotations: config.annotations ?? {} } };
}

/** A version record as an item: the record's own fields next to the key. */
export function toVersionItem(record: VersionRecord): Item {
  return { ...toAttributeMap(record), ...versionKey(record) };
}

/**
 * A version's history is kept on its record's item (so the writes that change the record append to
 * it in the same request), beside the record's fields: its entries and how many were ever appended.
 *
 * The entries are one JSON string, not a list of maps. Every write of the record carries the whole
 * history (up to HISTORY_LIMIT entries) and ALL_NEW brings it back, so as a list a version rebuilt
 * often (a rolling version such as `main`, 100 entries) made the SDK marshal, and DynamoDB validate,
 * about 800 typed values per write, both ways. On the local stack such a rebuild cost 28–32 ms of the
 * runner's CPU and 32–44 ms of dynalite's, and its tag moved 42–51 ms after the last push; as one
 * string, 21–24, 16–18 and 27–30 ms (bench/rolling-version.ts; docs/performance.md, "A version
 * rebuilt many times"). Items written before hold a list (`L`), still read; the next write of the
 * history writes it as a string. A push or publish entry is stored without its id, which its own
 * fields give back (derivedEntryId): a push entry is ~250 bytes of JSON instead of ~380, so a rolling
 * version's full history is ~21 KB (as a list of maps it was ~30 KB).
 */
export const HISTORY_ATTRIBUTE = 'history';
export const HISTORY_SEQUENCE_ATTRIBUTE = 'historySequence';

/** The history a version item holds; undefined when none was written on it (see historyKey for older records). */
export function historyOfVersionItem(item: Item): VersionHistory | undefined {
  const sequence = item[HISTORY_SEQUENCE_ATTRIBUTE]?.N;
  if (sequence === undefined) return undefined;
  return { sequence: Number(sequence), entries: historyEntriesOf(item) };
}

function historyEntriesOf(item: Item): VersionHistory['entries'] {
  const stored = item[HISTORY_ATTRIBUTE];
  if (stored?.S !== undefined) {
    const entries: unknown = JSON.parse(stored.S);
    const where = `DynamoDB item ${item.pk?.S} ${item.sk?.S}: attribute ${HISTORY_ATTRIBUTE}`;
    if (!Array.isArray(entries)) throw new Error(`${where} is not a JSON array of history entries`);
    return entries.map((entry: Omit<HistoryEntry, 'id'> & { id?: string }) => {
      if (entry.id !== undefined) return entry as HistoryEntry;
      const id = derivedEntryId(entry);
      if (id === undefined) throw new Error(`${where}: entry ${entry.sequence} (${entry.kind}) has no id`);
      return { id, ...entry };
    });
  }
  // Written before the history became one string.
  const { entries } = fromAttributeMap({ entries: stored ?? { L: [] } });
  return entries as unknown as VersionHistory['entries'];
}

/** A history as the version item's attributes. */
export function historyAttributes(history: VersionHistory): Item {
  return {
    [HISTORY_ATTRIBUTE]: { S: JSON.stringify(history.entries.map(withoutDerivedId)) },
    [HISTORY_SEQUENCE_ATTRIBUTE]: { N: String(history.sequence) },
  };
}

/** An entry as stored: without its id where the entry's own fields give it back (a third of a push entry's bytes). */
function withoutDerivedId(entry: HistoryEntry): Omit<HistoryEntry, 'id'> & { id?: string } {
  const { id, ...fields } = entry;
  return derivedEntryId(fields) === id ? fields : entry;
}

/** A version's history: on its record when there, else in the separate item a record written before that keeps (else none). */
export function historyOf(recordItem: Item | undefined, separateItem: Item | undefined): VersionHistory {
  const onRecord = recordItem === undefined ? undefined : historyOfVersionItem(recordItem);
  if (onRecord !== undefined) return onRecord;
  return separateItem === undefined ? EMPTY_HISTORY : fromHistoryItem(separateItem);
}

function fromHistoryItem(item: Item): VersionHistory {
  const { sequence, entries } = fromAttributeMap(item);
  return { sequence: Number(sequence), entries: (entries ?? []) as unknown as VersionHistory['entries'] };
}

/** The record an item holds (undefined: no item, or a write whose condition failed). */
export function recordOf(item: Item | undefined): VersionRecord | undefined {
  return item === undefined ? undefined : fromVersionItem(item);
}

/** The record an item holds; the key attributes and the history stay behind. */
export function fromVersionItem(item: Item): VersionRecord {
  // The history is left out before decoding, not after: the record's reads need none of it.
  const { [HISTORY_ATTRIBUTE]: _history, [HISTORY_SEQUENCE_ATTRIBUTE]: _sequence, ...recordItem } = item;
  const { pk: _pk, sk: _sk, ...fields } = fromAttributeMap(recordItem);
  if (typeof fields.revision !== 'number' || typeof fields.images !== 'object') {
    throw new Error(`DynamoDB item ${String(_pk)} ${String(_sk)} is not a version record (no revision or images)`);
  }
  return fields as unknown as VersionRecord;
}
