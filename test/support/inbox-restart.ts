import { expect } from 'vitest';
import type { InboxStore } from '../../src/local/inbox/registry-inbox.ts';
import { RegistryInbox } from '../../src/local/inbox/registry-inbox.ts';
import type { EcrImageActionEvent } from '../../src/local/registry/registry-events.ts';
import { localPushEvent } from './ecr-event.ts';
import { CapturingLogger } from './fakes.ts';

/** An inbox store opened on its durable state, and how to let go of it (the "kill" between two runs). */
export interface OpenedInboxStore {
  readonly store: InboxStore;
  close(): Promise<void>;
}

/**
 * The restart every inbox store must survive: a first run records three pushes, finishes one, is
 * stopped while handling the second; a second run on the same durable state handles the two left
 * (the unfinished one again: handlers are idempotent) and nothing the first run finished.
 * `beforeStop` runs once the first run has finished its first push (e.g. wait until its removal is written).
 */
export async function expectRestartResumesInbox(
  open: () => Promise<OpenedInboxStore>,
  beforeStop: (store: InboxStore) => Promise<void> = async () => undefined,
): Promise<void> {
  const laneOf = async (event: EcrImageActionEvent) => event.detail['image-tag'].replace(/-[^-]+$/, '');
  const first = await open();
  const handledFirst: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const inbox1 = new RegistryInbox({
    store: first.store,
    laneOf,
    logger: new CapturingLogger(),
    concurrency: 1,
    handle: async (event) => {
      handledFirst.push(event.id);
      // The first push finishes; the second hangs (the runner is "killed" while handling it).
      if (handledFirst.length > 1) await gate;
    },
  });
  await inbox1.start();
  for (const [id, tag] of [
    ['p1', '1.0-amd64'],
    ['p2', '1.0-arm64'],
    ['p3', '2.0-amd64'],
  ] as const) {
    expect(await inbox1.accept({ id, event: localPushEvent(id, 'team/app', tag, `sha256:${'b'.repeat(64)}`) })).toBe('recorded');
  }
  while (handledFirst.length < 2) await new Promise((r) => setTimeout(r, 5));
  await beforeStop(first.store);
  void inbox1.stop();
  await first.close();

  const second = await open();
  const handledSecond: string[] = [];
  const inbox2 = new RegistryInbox({
    store: second.store,
    laneOf,
    logger: new CapturingLogger(),
    concurrency: 4,
    handle: async (event) => {
      handledSecond.push(event.id);
    },
  });
  expect(await inbox2.start()).toBe(2);
  await inbox2.idle();
  release();
  // p2 was running when the first run stopped: it runs again (the handler is idempotent); p1 does not.
  expect(handledSecond.sort()).toEqual(['p2', 'p3']);
  expect(await second.store.list()).toEqual([]);
  await inbox2.stop();
  await second.close();
}
