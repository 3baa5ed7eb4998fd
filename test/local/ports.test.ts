import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { assertPortFree, listenOnLoopback, PortInUseError, waitUntilPortFree } from '../../src/local/ports.ts';

// A server holding a port, in every test that needs one; closed after each.
const held = createServer();
afterEach(async () => {
  if (held.listening) await new Promise<void>((resolve) => held.close(() => resolve()));
});

describe('waitUntilPortFree', () => {
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

describe('assertPortFree', () => {
  it('names the port, what needs it and the variable that moves it when the port is taken, and leaves the holder be', async () => {
    const port = await listenOnLoopback(held);
    const attempt = assertPortFree(port, 'API and registry webhook', 'API_PORT');
    await expect(attempt).rejects.toBeInstanceOf(PortInUseError);
    await expect(attempt).rejects.toThrow(
      `port ${port} on 127.0.0.1 (API and registry webhook) is already in use; stop what holds it or set API_PORT to a free port`,
    );
    expect(held.listening).toBe(true);
  });

  it('resolves, and lets the port go again, when it is free', async () => {
    const port = await listenOnLoopback(held);
    await new Promise<void>((resolve) => held.close(() => resolve()));
    await expect(assertPortFree(port, 'registry', 'REGISTRY_PORT')).resolves.toBeUndefined();
    expect(await listenOnLoopback(held, port)).toBe(port);
  });
});
