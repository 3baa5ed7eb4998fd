import { isRetryable } from './errors.ts';
import type { ImageRegistry } from './ports.ts';

export interface AwaitTagOptions {
  /** How long to wait for the tag to point at the digest before letting the handler decide. */
  readonly waitMs?: number;
  readonly pollMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Waits until `tag` points at `digest`; false when it still does not after `waitMs`.
 *
 * distribution 2.8 emits the push notification from inside the manifest PUT, after storing the
 * manifest but before writing the tag link (registry/handlers/manifests.go: `manifests.Put`, whose
 * listener queues the event, then `tags.Tag`), and delivers it from another goroutine. So the
 * handler can read the tag before it moves: missing for a first push, the old digest for a
 * rebuild, and it would then ignore the push as stale. ECR sends its event after the push is done.
 * A push that really is stale (the tag moved on since) costs one timeout, then the handler ignores it.
 */
export async function awaitTagAt(
  registry: Pick<ImageRegistry, 'resolveTag'>,
  repository: string,
  tag: string,
  digest: string,
  options: AwaitTagOptions = {},
): Promise<boolean> {
  const {
    waitMs = 1_000,
    pollMs = 10,
    now = Date.now,
    sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  } = options;
  const deadline = now() + waitMs;
  for (;;) {
    try {
      if ((await registry.resolveTag(repository, tag)) === digest) return true;
    } catch (error) {
      // distribution answers 500 while the tag's link file is being written ("invalid checksum digest
      // format"): not there yet. Anything else, or still failing at the deadline, is the handler's to judge.
      if (!isRetryable(error) || now() >= deadline) return false;
    }
    if (now() >= deadline) return false;
    await sleep(pollMs);
  }
}
