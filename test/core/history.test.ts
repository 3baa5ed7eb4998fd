import { describe, expect, it } from 'vitest';
import { appendMissing, entriesOf, recordHistory } from '../../src/core/history.ts';
import { derivedEntryId, HISTORY_LIMIT, type HistoryEntry, type VersionHistory } from '../../src/core/version-history.ts';
import { record, recordedImage, world } from './fixtures.ts';

const T0 = '2026-11-27T10:00:00.000Z';
const amd64 = recordedImage('linux/amd64', { pushedAt: T0 });
const arm64 = recordedImage('linux/arm64', { pushedAt: '2026-11-27T10:00:30.000Z' });
const published = {
  digest: `sha256:${'e'.repeat(64)}`,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  size: 500,
  tags: ['2.7'],
  at: '2026-11-27T10:00:31.000Z',
  revision: 2,
};

function expectWellFormed(history: VersionHistory): void {
  const sequences = history.entries.map((e) => e.sequence);
  expect(sequences).toEqual(sequences.map((_, i) => history.sequence - sequences.length + 1 + i));
  expect(new Set(history.entries.map((e) => e.id)).size).toBe(history.entries.length);
}

describe('entriesOf', () => {
  it('derives one push per image, the publish, and an active error, with the fields that say what', () => {
    const entries = entriesOf(
      record([amd64, arm64], { revision: 2, published }),
      { sequence: 0, entries: [] },
      { eventId: 'e-7', tag: arm64.tag },
      0,
    );
    expect(entries.map((e) => e.kind)).toEqual(['push-recorded', 'push-recorded', 'published']);
    expect(entries[1]).toMatchObject({ platform: 'linux/arm64', tag: arm64.tag, digest: arm64.digest, eventId: 'e-7', at: arm64.pushedAt });
    expect(entries[0]?.eventId).toBeUndefined();
    expect(entries[2]).toMatchObject({ digest: published.digest, tags: ['2.7'], revision: 2, at: published.at });
  });

  it('calls a publish with missing platforms partial, and a conflict a conflict with its reason', () => {
    const partial = entriesOf(
      record([amd64], { published: { ...published, revision: 1, missingPlatforms: ['linux/arm64'] } }),
      { sequence: 0, entries: [] },
      {},
      0,
    );
    expect(partial.at(-1)).toMatchObject({ kind: 'published-partially', missingPlatforms: ['linux/arm64'] });
    const conflict = entriesOf(
      record([amd64], { error: { kind: 'conflict', message: 'two images claim linux/amd64', at: T0, revision: 1 } }),
      { sequence: 0, entries: [] },
      {},
      0,
    );
    expect(conflict.at(-1)).toMatchObject({ kind: 'conflict', reason: 'two images claim linux/amd64', revision: 1 });
  });

  it('says a conflict was resolved once the record no longer has it', () => {
    const history: VersionHistory = {
      sequence: 1,
      entries: [{ id: 'conflict:1:x', kind: 'conflict', at: T0, sequence: 1, reason: 'moved tag' }],
    };
    const entries = entriesOf(record([amd64], { revision: 2, published }), history, {}, Date.parse('2026-11-27T11:00:00.000Z'));
    expect(entries.at(-1)).toEqual({
      id: 'resolved:conflict:1:x',
      kind: 'conflict-resolved',
      at: '2026-11-27T11:00:00.000Z',
      reason: 'moved tag',
    });
  });
});

describe('derivedEntryId', () => {
  it('gives back the id entriesOf named each push and publish with, from the entry without it; none for the other kinds', () => {
    const entries = entriesOf(
      record([amd64, arm64], { revision: 3, published: { ...published, revision: 3, missingPlatforms: ['linux/s390x'] } }),
      { sequence: 1, entries: [{ id: 'conflict:1:x', kind: 'conflict', at: T0, sequence: 1, reason: 'moved tag' }] },
      { eventId: 'e-7', tag: arm64.tag },
      Date.parse('2026-11-27T11:00:00.000Z'),
    );
    expect(entries.map((e) => e.kind)).toEqual(['push-recorded', 'push-recorded', 'published-partially', 'conflict-resolved']);
    const derived = entries.map(({ id: _id, ...fields }) => derivedEntryId({ ...fields, sequence: 1 }));
    expect(derived).toEqual([entries[0]?.id, entries[1]?.id, entries[2]?.id, undefined]);
    expect(entries[0]?.id).toBe(`push:linux/amd64:${amd64.digest}:${amd64.tag}:${T0}`);
    expect(entries[2]?.id).toBe(`publish:3:${published.digest}:${published.at}`);
  });
});

describe('appendMissing', () => {
  const note = (n: number): Omit<HistoryEntry, 'sequence'> => ({
    id: `n${n}`,
    kind: 'repaired',
    at: new Date(Date.parse(T0) + n * 1000).toISOString(),
    action: `step ${n}`,
  });

  it('appends what is new in time order with the next sequences, and nothing twice', () => {
    const once = appendMissing({ sequence: 0, entries: [] }, [note(2), note(1)]);
    expect(once?.entries.map((e) => [e.id, e.sequence])).toEqual([
      ['n1', 1],
      ['n2', 2],
    ]);
    expect(appendMissing(once!, [note(1), note(2)])).toBeUndefined();
    const twice = appendMissing(once!, [note(1), note(3), note(3)]);
    expect(twice?.entries.map((e) => e.id)).toEqual(['n1', 'n2', 'n3']);
    expectWellFormed(twice!);
  });

  it(`keeps the last ${HISTORY_LIMIT} entries while the sequence keeps counting`, () => {
    let history: VersionHistory = { sequence: 0, entries: [] };
    for (let n = 1; n <= HISTORY_LIMIT + 5; n++) history = appendMissing(history, [note(n)])!;
    expect(history.sequence).toBe(HISTORY_LIMIT + 5);
    expect(history.entries).toHaveLength(HISTORY_LIMIT);
    expect(history.entries[0]?.sequence).toBe(6);
    expectWellFormed(history);
  });
});

describe('recordHistory', () => {
  it('records what the record shows, once, however often it is called', async () => {
    const w = world();
    await w.store.updateImages(
      { repository: 'hello', version: '2.7' },
      { set: [amd64], remove: [] },
      { expectedRevision: 0, now: Date.parse(T0) },
    );
    await recordHistory(w.deps, 'hello', '2.7', { eventId: 'e-1', tag: amd64.tag });
    await recordHistory(w.deps, 'hello', '2.7', { eventId: 'e-1', tag: amd64.tag });
    const history = await w.store.getHistory({ repository: 'hello', version: '2.7' });
    expect(history.entries.map((e) => [e.kind, e.eventId])).toEqual([['push-recorded', 'e-1']]);
    expect(history.sequence).toBe(1);
  });

  it('loses no entry and doubles none when writers append at the same time (compare-and-set on the sequence)', async () => {
    const w = world();
    const notes = Array.from({ length: 6 }, (_, n) => ({ id: `drift:${n}`, kind: 'drift-found' as const, at: T0, tag: `t${n}` }));
    await Promise.all(notes.map((note) => recordHistory(w.deps, 'hello', '2.7', { notes: [note] })));
    await Promise.all(notes.map((note) => recordHistory(w.deps, 'hello', '2.7', { notes: [note] })));
    const history = await w.store.getHistory({ repository: 'hello', version: '2.7' });
    expect(history.entries.map((e) => e.id).sort()).toEqual(notes.map((n) => n.id).sort());
    expectWellFormed(history);
  });

  it('does nothing for a version never recorded and given no notes', async () => {
    const w = world();
    await recordHistory(w.deps, 'hello', '9.9');
    expect(await w.store.getHistory({ repository: 'hello', version: '9.9' })).toEqual({ sequence: 0, entries: [] });
  });
});
