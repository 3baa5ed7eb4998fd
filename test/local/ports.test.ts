import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listenOnLoopback, waitUntilPortFree } from '../../src/local/ports.ts';

describe('waitUntilPortFree', () => {
  const held = createServer();
  afterEach(async () => {
    if (held.listening) await new Promise<void>((resolve) => held.close(() => resolve()));
  });

  it('resolves true once the holder lets the port go, and the port can then be bound', async () => {
    const port = await listenOnLoopback(held);
    setTimeout(() => held.close(), 150);
    expect(await waitUntilPortFree(port, 5_000)).toBe(true);
    const next = createServer();
    expect(await listenOnLoopback(next, port)).toBe(port);
    await new Promise<void>((resolve) => next.close(() => resolve()));
  });

  it('resolves false when the port stays taken past the timeout', async () => {
    const port = await listenOnLoopback(held);
    expect(await waitUntilPortFree(port, 120)).toBe(false);
    expect(held.listening).toBe(true);
  });
});
