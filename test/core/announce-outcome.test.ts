import { beforeEach, describe, expect, it } from 'vitest';
import { AnnounceTiming, announceOutcome } from '../../src/core/announce-outcome.ts';
import { ErrorCodes, RegistryError } from '../../src/core/errors.ts';
import { publishVersion } from '../../src/core/publish-version.ts';
import { reconcileRepository } from '../../src/core/reconcile.ts';
import { recordPush } from '../../src/core/record-push.ts';
import { announcementOrder, buildVersionEvent, versionEventId } from '../../src/core/version-events.ts';
import { config, type World, world } from './fixtures.ts';
import { configure, push, pushSilently, repo } from './world-pushes.ts';

const HOUR = 3_600_000;

async function redeliver(w: World, tag: string) {
  return recordPush(w.deps, { repository: repo, digest: (await w.registry.resolveTag(repo, tag))!, tag });
}

describe('announceOutcome', () => {
  let w: World;
  beforeEach(() => {
    w = world();
  });

  describe('when a version is published', () => {
    it('announces it once, after the registry holds every target tag, with the whole payload', async () => {
      await configure(w, { targetTags: ['{version}', 'v{version}'] });
      const tagsAtAnnounce: Array<Array<string | undefined>> = [];
      w.events.onAnnounce = async () => {
        tagsAtAnnounce.push([await w.registry.resolveTag(repo, '2.7'), await w.registry.resolveTag(repo, 'v2.7')]);
      };
      await push(w, 'linux/amd64', '2.7-amd64');
      expect(w.events.events).toEqual([]);
      await push(w, 'linux/arm64', '2.7-arm64');

      const index = w.registry.manifestAt(repo, '2.7')!;
      expect(tagsAtAnnounce).toEqual([[index.digest, index.digest]]);
      expect(w.events.events).toEqual([
        {
          id: versionEventId('published', { repository: repo, version: '2.7', revision: 2, digest: index.digest, error: null }),
          outcome: 'published',
          time: w.clock.iso(),
          data: {
            repository: repo,
            version: '2.7',
            state: 'published',
            digest: index.digest,
            mediaType: index.mediaType,
            tags: ['2.7', 'v2.7'],
            platforms: ['linux/amd64', 'linux/arm64'],
            missingPlatforms: [],
            error: null,
            revision: 2,
          },
        },
      ]);
      expect((await w.store.getVersion({ repository: repo, version: '2.7' }))?.announcement).toEqual({
        id: w.events.events[0]!.id,
        revision: 2,
        order: announcementOrder('published', 2),
        state: 'sent',
        until: expect.any(Number),
      });
    });

    it('announces nothing more for duplicate events and reconciler passes', async () => {
      await configure(w);
      await push(w, 'linux/amd64', '2.7-amd64');
      await push(w, 'linux/arm64', '2.7-arm64');
      await redeliver(w, '2.7-amd64');
      await redeliver(w, '2.7-arm64');
      await reconcileRepository(w.deps, repo);
      await publishVersion(w.deps, repo, '2.7', { revision: 2, force: true });
      expect(w.events.summary()).toEqual(['published hello:2.7']);
      expect(w.events.attempts).toBe(1);
    });

    it('announces a rebuild (a new index) again, with a new id', async () => {
      await configure(w);
      await push(w, 'linux/amd64', '2.7-amd64');
      await push(w, 'linux/arm64', '2.7-arm64');
      await push(w, 'linux/arm64', '2.7-arm64', 'rebuild');
      expect(w.events.summary()).toEqual(['published hello:2.7', 'published hello:2.7']);
      const [first, second] = w.events.events;
      expect(second!.id).not.toBe(first!.id);
      expect(second!.data).toMatchObject({ revision: 3, digest: w.registry.manifestAt(repo, '2.7')!.digest });
    });

    it('announces a partial publish as partially-published, naming what is missing', async () => {
      await configure(w);
      await push(w, 'linux/amd64', '2.7-amd64');
      await publishVersion(w.deps, repo, '2.7', { revision: 1, allowPartial: true });
      expect(w.events.events.map((e) => [e.outcome, e.data.state, e.data.platforms, e.data.missingPlatforms])).toEqual([
        ['partially-published', 'published', ['linux/amd64'], ['linux/arm64']],
      ]);
    });

    it('announces the failure once when the put fails, and the publish when the reconciler retries it', async () => {
      await configure(w);
      w.registry.failNext('putManifest', 1, new RegistryError(ErrorCodes.denied, 'not allowed to put'));
      await push(w, 'linux/amd64', '2.7-amd64');
      await push(w, 'linux/arm64', '2.7-arm64');
      await reconcileRepository(w.deps, repo);
      const index = w.registry.manifestAt(repo, '2.7')!;
      expect(w.events.events.map((e) => [e.outcome, e.data.state, e.data.error, e.data.digest])).toEqual([
        ['failed', 'failed', 'not allowed to put', null],
        ['published', 'published', null, index.digest],
      ]);
    });
  });

  describe('when a version is in conflict', () => {
    it('announces two tags claiming one platform once, however often it is found', async () => {
      await configure(w);
      await push(w, 'linux/amd64', '2.7-amd64');
      await push(w, 'linux/amd64', '2.7-x86', 'other build');
      await redeliver(w, '2.7-x86');
      await reconcileRepository(w.deps, repo);
      await reconcileRepository(w.deps, repo);
      expect(w.events.summary()).toEqual(['conflict hello:2.7']);
      expect(w.events.events[0]!.data).toMatchObject({ state: 'conflict', digest: null, error: expect.stringContaining('2.7-x86') });
    });

    it('announces an immutable tag that points elsewhere', async () => {
      await configure(w);
      w.registry.makeImmutable(repo);
      w.registry.tag(repo, '2.7', pushSilently(w, 'linux/amd64', 'unrelated'));
      await push(w, 'linux/amd64', '2.7-amd64');
      await push(w, 'linux/arm64', '2.7-arm64');
      expect(w.events.events.map((e) => [e.outcome, e.data.error])).toEqual([['conflict', expect.stringContaining('immutable')]]);
    });

    it('announces a published tag moved by someone else (onDrift report), after the publish', async () => {
      await configure(w, { onDrift: 'report' });
      await push(w, 'linux/amd64', '2.7-amd64');
      await push(w, 'linux/arm64', '2.7-arm64');
      const ours = (await w.registry.resolveTag(repo, '2.7'))!;
      w.registry.tag(repo, '2.7', pushSilently(w, 'linux/amd64', 'hand-made', 'hand-made'));
      await reconcileRepository(w.deps, repo);
      await reconcileRepository(w.deps, repo);
      expect(w.events.summary()).toEqual(['published hello:2.7', 'conflict hello:2.7']);
      expect(w.events.events[1]!.data).toMatchObject({
        state: 'conflict',
        digest: ours,
        error: expect.stringContaining('moved by someone else'),
      });
    });
  });

  describe('when a version stays incomplete beyond staleAfter', () => {
    it('announces it stale once per revision, then the partial publish', async () => {
      await configure(w, { staleAfter: '1h', onStale: 'publish-partial' });
      await push(w, 'linux/amd64', '2.7-amd64');
      w.clock.advance(HOUR);
      await reconcileRepository(w.deps, repo);
      await reconcileRepository(w.deps, repo);
      expect(w.events.events.map((e) => [e.outcome, e.data.state, e.data.missingPlatforms])).toEqual([
        ['stale', 'stale', ['linux/arm64']],
        ['partially-published', 'published', ['linux/arm64']],
      ]);
    });
  });

  describe('when callers race or repeat', () => {
    it('sends one event for concurrent announcements of the same outcome', async () => {
      await configure(w);
      await push(w, 'linux/amd64', '2.7-amd64');
      w.clock.advance(HOUR);
      const record = (await w.store.getVersion({ repository: repo, version: '2.7' }))!;
      const cfg = await w.store.getRepositoryConfig(repo);
      await Promise.all(Array.from({ length: 5 }, () => announceOutcome(w.deps, 'stale', record, cfg)));
      expect(w.events.attempts).toBe(1);
    });

    it('never lets an older outcome replace a newer one', async () => {
      await configure(w);
      await push(w, 'linux/amd64', '2.7-amd64');
      const older = (await w.store.getVersion({ repository: repo, version: '2.7' }))!;
      await push(w, 'linux/arm64', '2.7-arm64');
      await announceOutcome(w.deps, 'stale', older, await w.store.getRepositoryConfig(repo));
      expect(w.events.summary()).toEqual(['published hello:2.7']);
    });

    it('announces nothing for a write that lost its race (no record)', async () => {
      await announceOutcome(w.deps, 'failed', undefined, undefined);
      expect(w.events.attempts).toBe(0);
    });
  });

  describe('when sending fails', () => {
    it('retries with back-off and sends the event once', async () => {
      await configure(w);
      w.events.failNext(AnnounceTiming.attempts - 1);
      await push(w, 'linux/amd64', '2.7-amd64');
      await push(w, 'linux/arm64', '2.7-arm64');
      expect(w.events.attempts).toBe(AnnounceTiming.attempts);
      expect(w.events.summary()).toEqual(['published hello:2.7']);
      expect(w.clock.sleeps).toEqual(expect.arrayContaining([AnnounceTiming.backoffMs, AnnounceTiming.backoffMs * 2]));
      expect((await w.store.getVersion({ repository: repo, version: '2.7' }))?.announcement?.state).toBe('sent');
    });

    it('leaves it pending when every attempt fails, and the reconciler sends it again with the same id and time', async () => {
      await configure(w);
      w.events.failNext(AnnounceTiming.attempts);
      await push(w, 'linux/amd64', '2.7-amd64');
      await push(w, 'linux/arm64', '2.7-arm64');
      expect(w.events.events).toEqual([]);
      const pending = (await w.store.getVersion({ repository: repo, version: '2.7' }))!.announcement!;
      expect(pending).toMatchObject({ state: 'pending', until: 0 });
      expect(w.logger.messages('error')).toContain('announcing failed; left pending for the reconciler to send again');

      w.clock.advance(1_000);
      await reconcileRepository(w.deps, repo);
      await reconcileRepository(w.deps, repo);
      expect(w.events.events).toEqual([pending.event]);
      expect((await w.store.getVersion({ repository: repo, version: '2.7' }))?.announcement).toEqual({
        id: pending.id,
        revision: 2,
        order: announcementOrder('published', 2),
        state: 'sent',
        until: expect.any(Number),
      });
    });

    it('announces a publish whose claim was never written (the store failed, or the publisher died, right after recording it)', async () => {
      await configure(w);
      const claim = w.store.claimAnnouncement.bind(w.store);
      let failures = 1;
      w.store.claimAnnouncement = async (...args) => {
        if (failures-- > 0) throw new Error('store unavailable');
        return claim(...args);
      };
      await push(w, 'linux/amd64', '2.7-amd64');
      await push(w, 'linux/arm64', '2.7-arm64');
      expect(w.events.events).toEqual([]);
      expect(w.logger.messages('error')).toContain('outcome not announced: the claim could not be written');

      await reconcileRepository(w.deps, repo);
      await reconcileRepository(w.deps, repo);
      expect(w.events.events.map((e) => [e.outcome, e.data.digest])).toEqual([['published', w.registry.manifestAt(repo, '2.7')!.digest]]);
    });

    it('does not announce after the fact a version published before events existed', async () => {
      await configure(w);
      const claim = w.store.claimAnnouncement.bind(w.store);
      w.store.claimAnnouncement = async () => false; // as if the record had no announcement support yet
      await push(w, 'linux/amd64', '2.7-amd64');
      await push(w, 'linux/arm64', '2.7-arm64');
      w.store.claimAnnouncement = claim;
      expect((await w.store.getVersion({ repository: repo, version: '2.7' }))?.announcement).toBeUndefined();

      w.clock.advance(AnnounceTiming.missedPublishWindowMs + 1);
      await reconcileRepository(w.deps, repo);
      expect(w.events.events).toEqual([]);
    });

    it('resends a claim whose sender died only once the claim has expired', async () => {
      await configure(w);
      await push(w, 'linux/amd64', '2.7-amd64');
      w.clock.advance(HOUR);
      const record = (await w.store.getVersion({ repository: repo, version: '2.7' }))!;
      const event = buildVersionEvent('stale', record, config(), w.clock.iso());
      // A sender that claimed and then died before sending.
      await w.store.claimAnnouncement(
        { repository: repo, version: '2.7' },
        {
          claim: {
            id: event.id,
            revision: 1,
            order: announcementOrder('stale', 1),
            state: 'pending',
            until: w.clock.now() + AnnounceTiming.claimMs,
            event,
          },
          now: w.clock.now(),
        },
      );

      await reconcileRepository(w.deps, repo);
      expect(w.events.attempts).toBe(0);
      w.clock.advance(AnnounceTiming.claimMs + 1);
      await reconcileRepository(w.deps, repo);
      await reconcileRepository(w.deps, repo);
      expect(w.events.events).toEqual([event]);
    });
  });
});

describe('versionEventId', () => {
  const base = { repository: 'hello', version: '2.7', revision: 2, digest: 'sha256:aa', error: null };
  it('is the same for the same outcome and UUID-shaped', () => {
    expect(versionEventId('published', base)).toBe(versionEventId('published', { ...base }));
    expect(versionEventId('published', base)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
  it.each([
    ['another outcome', 'partially-published', base],
    ['another revision', 'published', { ...base, revision: 3 }],
    ['another index', 'published', { ...base, digest: 'sha256:bb' }],
    ['another version', 'published', { ...base, version: '2.8' }],
  ] as const)('differs for %s', (_name, outcome, data) => {
    expect(versionEventId(outcome, data)).not.toBe(versionEventId('published', base));
  });
  it('ignores the message of a failure but not the reason of a conflict', () => {
    expect(versionEventId('failed', { ...base, error: 'a' })).toBe(versionEventId('failed', { ...base, error: 'b' }));
    expect(versionEventId('conflict', { ...base, error: 'a' })).not.toBe(versionEventId('conflict', { ...base, error: 'b' }));
  });
});
