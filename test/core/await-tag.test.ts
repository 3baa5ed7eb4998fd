import { describe, expect, it } from 'vitest';
import { awaitTagAt } from '../../src/core/await-tag.ts';
import { ErrorCodes, RegistryError } from '../../src/core/errors.ts';

const OLD = `sha256:${'1'.repeat(64)}`;
const NEW = `sha256:${'2'.repeat(64)}`;

/** A registry whose tag reads as `answers` in turn (the last one repeats), on a fake clock. */
function fakeRegistry(answers: Array<string | undefined>) {
  let time = 0;
  const calls: number[] = [];
  return {
    calls,
    registry: {
      resolveTag: async () => {
        calls.push(time);
        return answers.length > 1 ? answers.shift() : answers[0];
      },
    },
    clock: {
      now: () => time,
      sleep: async (ms: number) => {
        time += ms;
      },
    },
  };
}

describe('awaitTagAt', () => {
  it('returns at once when the tag already points at the digest', async () => {
    const fake = fakeRegistry([NEW]);
    expect(await awaitTagAt(fake.registry, 'hello', '2.7-amd64', NEW, fake.clock)).toBe(true);
    expect(fake.calls).toEqual([0]);
  });

  describe('when the registry has not written the tag yet (first push)', () => {
    it('waits until the tag appears', async () => {
      const fake = fakeRegistry([undefined, undefined, NEW]);
      expect(await awaitTagAt(fake.registry, 'hello', '2.7-amd64', NEW, { ...fake.clock, pollMs: 10 })).toBe(true);
      expect(fake.calls).toEqual([0, 10, 20]);
    });
  });

  describe('when the tag still points at the image it replaces (a rebuild)', () => {
    it('waits until it moves to the pushed digest', async () => {
      const fake = fakeRegistry([OLD, OLD, NEW]);
      expect(await awaitTagAt(fake.registry, 'hello', '2.7-amd64', NEW, fake.clock)).toBe(true);
      expect(fake.calls).toHaveLength(3);
    });
  });

  describe('when the tag has moved on (a stale event)', () => {
    it('gives up after the timeout and says so', async () => {
      const fake = fakeRegistry([OLD]);
      expect(await awaitTagAt(fake.registry, 'hello', '2.7-amd64', NEW, { ...fake.clock, waitMs: 100, pollMs: 10 })).toBe(false);
      expect(fake.calls.at(-1)).toBe(100);
      expect(fake.calls).toHaveLength(11);
    });
  });

  it('polls through the 500 distribution answers while it writes the tag link', async () => {
    const fake = fakeRegistry([NEW]);
    let failures = 2;
    const registry = {
      resolveTag: async (...args: []) => {
        if (failures-- > 0) throw new RegistryError(ErrorCodes.unavailable, 'HTTP 500', { retryable: true });
        return fake.registry.resolveTag(...args);
      },
    };
    expect(await awaitTagAt(registry, 'hello', '2.7-amd64', NEW, fake.clock)).toBe(true);
  });

  it('leaves a failure that lasts past the deadline, or is not retryable, to the handler (which then answers for it)', async () => {
    const fake = fakeRegistry([NEW]);
    const down = {
      resolveTag: async () => Promise.reject(new RegistryError(ErrorCodes.unavailable, 'connection refused', { retryable: true })),
    };
    expect(await awaitTagAt(down, 'hello', 't', NEW, { ...fake.clock, waitMs: 50 })).toBe(false);
    const denied = { resolveTag: async () => Promise.reject(new RegistryError(ErrorCodes.denied, 'denied')) };
    expect(await awaitTagAt(denied, 'hello', 't', NEW, fake.clock)).toBe(false);
  });
});
