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

  describe('when the publish write claims the announcement (an event destination)', () => {
    const key = { repository: repo, version: '2.7' };

    /** Counts the store's announcement and lease writes made after `from()`. */
    function countWrites() {
      const calls: string[] = [];
      for (const method of ['completePublish', 'claimAnnouncement', 'settleAnnouncement', 'releaseLease', 'acquireLease'] as const) {
        const original = (w.store[method] as (...args: unknown[]) => Promise<unknown>).bind(w.store);
        (w.store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
          calls.push(method);
          return original(...args);
        };
      }
      return calls;
    }

    it('claims it in the publish write, sends it holding the lease, then marks it sent and gives the lease up in one write', async () => {
      await configure(w);
      await push(w, 'linux/amd64', '2.7-amd64');
      const atSend: unknown[] = [];
      w.events.onAnnounce = async () => {
        atSend.push(await w.store.getVersion(key));
      };
      const calls = countWrites();
      await push(w, 'linux/arm64', '2.7-arm64');

      expect(calls).toEqual(['completePublish', 'settleAnnouncement']);
      const [sending] = atSend as Array<Awaited<ReturnType<typeof w.store.getVersion>>>;
      // While it is sent: the publish recorded, the claim pending for as long as the lease lives.
      expect(sending?.published?.revision).toBe(2);
      expect(sending?.announcement).toMatchObject({ state: 'pending', until: sending?.lease?.until, event: w.events.events[0] });
      const after = await w.store.getVersion(key);
      expect(after?.lease).toBeUndefined();
      expect(after?.announcement).toMatchObject({ id: w.events.events[0]!.id, state: 'sent' });
      expect(after?.announcement && 'event' in after.announcement).toBe(false);
    });

    it('hands a send that keeps failing back to the reconciler in the write that gives the lease up', async () => {
      await configure(w);
      await push(w, 'linux/amd64', '2.7-amd64');
      w.events.failNext(AnnounceTiming.attempts);
      const calls = countWrites();
      await push(w, 'linux/arm64', '2.7-arm64');
      expect(calls).toEqual(['completePublish', 'settleAnnouncement']);
      const left = await w.store.getVersion(key);
      expect(left?.lease).toBeUndefined();
      expect(left?.announcement).toMatchObject({ state: 'pending', until: 0 });

      await reconcileRepository(w.deps, repo);
      expect(w.events.summary()).toEqual(['published hello:2.7']);
      expect((await w.store.getVersion(key))?.announcement?.state).toBe('sent');
    });

    it('settles alone, keeps the lease and publishes again when images changed while it was sent', async () => {
      await configure(w);
      await push(w, 'linux/amd64', '2.7-amd64');
      let rebuilt = false;
      w.events.onAnnounce = async () => {
        if (rebuilt) return;
        rebuilt = true;
        // A rebuild recorded while the event goes out; its event waits for the lease this publisher holds.
        const image = w.registry.addImage(repo, { platform: 'linux/arm64', tag: '2.7-arm64', label: 'rebuild' });
        const recorded = (await w.store.getVersion(key))!.images['linux/arm64']!;
        expect(
          await w.store.updateImages(
            key,
            { set: [{ ...recorded, digest: image.manifest.digest }], remove: [] },
            { expectedRevision: 2, now: w.clock.now() },
          ),
        ).toMatchObject({ revision: 3 });
      };
      await push(w, 'linux/arm64', '2.7-arm64');

      expect(w.events.events.map((e) => [e.outcome, e.data.revision])).toEqual([
        ['published', 2],
        ['published', 3],
      ]);
      const after = await w.store.getVersion(key);
      expect(after).toMatchObject({ revision: 3, published: { revision: 3 }, announcement: { revision: 3, state: 'sent' } });
      expect(after?.lease).toBeUndefined();
    });

    it('leaves the claim of a publisher that died before sending to the reconciler, once its lease has expired', async () => {
      await configure(w);
      await push(w, 'linux/amd64', '2.7-amd64');
      // The process dies as the event goes out: nothing it would write after that is written.
      const { settleAnnouncement, releaseLease } = w.store;
      const died = async () => {
        throw new Error('the process died');
      };
      w.events.onAnnounce = died;
      w.store.settleAnnouncement = died;
      w.store.releaseLease = died;
      await expect(push(w, 'linux/arm64', '2.7-arm64')).rejects.toThrow('the process died');
      const left = (await w.store.getVersion(key))!;
      expect(left.announcement).toMatchObject({ state: 'pending', until: left.lease?.until });
      Object.assign(w.store, { settleAnnouncement, releaseLease });
      w.events.onAnnounce = undefined;

      await reconcileRepository(w.deps, repo);
      expect(w.events.events, 'nobody sends it beside a live lease').toEqual([]);
      w.clock.advance(left.lease!.until - w.clock.now() + 1);
      await reconcileRepository(w.deps, repo);
      await reconcileRepository(w.deps, repo);
      expect(w.events.events).toEqual([left.announcement?.event]);
    });

    it('stops retrying once its claim has expired, and leaves the event to the next sender', async () => {
      await configure(w);
      await push(w, 'linux/amd64', '2.7-amd64');
      w.events.onAnnounce = () => {
        w.clock.advance(60_000); // an attempt that outlived the claim
        throw Object.assign(new Error('destination timed out'), { retryable: true });
      };
      await push(w, 'linux/arm64', '2.7-arm64');
      expect(w.events.attempts, 'one attempt, none after the claim expired').toBe(1);
      expect(w.logger.messages('error')).toContain('announcing stopped: its claim expired; left pending for the reconciler to send again');
      const left = await w.store.getVersion(key);
      expect(left?.lease).toBeUndefined();
      expect(left?.announcement?.state).toBe('pending');

      w.events.onAnnounce = undefined;
      await reconcileRepository(w.deps, repo);
      expect(w.events.summary()).toEqual(['published hello:2.7']);
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
      // The publish write (which claims too) failed its condition: the publish is recorded the long way, then claimed apart.
      w.store.completePublish = async () => undefined;
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
      // As if the record had no announcement support yet: published without any claim.
      const complete = w.store.completePublish.bind(w.store);
      w.store.completePublish = async () => undefined;
      const claim = w.store.claimAnnouncement.bind(w.store);
      w.store.claimAnnouncement = async () => false;
      await push(w, 'linux/amd64', '2.7-amd64');
      await push(w, 'linux/arm64', '2.7-arm64');
      w.store.claimAnnouncement = claim;
      w.store.completePublish = complete;
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
