import type { Server } from 'node:http';
import { type AddressInfo, createServer, type Server as NetServer } from 'node:net';

/** A port the local stack needs is taken; the message names the port and the variable that moves it. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly what: string,
    readonly envVar: string,
  ) {
    super(`port ${port} on 127.0.0.1 (${what}) is already in use; stop what holds it or set ${envVar} to a free port`);
    this.name = 'PortInUseError';
  }
}

/** Throws {@link PortInUseError} when 127.0.0.1:`port` cannot be bound right now. */
export async function assertPortFree(port: number, what: string, envVar: string): Promise<void> {
  if (!(await canBind(port))) throw new PortInUseError(port, what, envVar);
}

/**
 * Waits until 127.0.0.1:`port` can be bound, at most `timeoutMs`; false when it is still taken then.
 * A process that was just stopped may hold its port a moment after it looks gone: a Go program's
 * main thread shows as a zombie while its other threads, which share its open sockets, still exit.
 */
export async function waitUntilPortFree(port: number, timeoutMs: number, pollMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await canBind(port)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Whether 127.0.0.1:`port` can be bound right now: a probe server listens and closes at once. */
async function canBind(port: number): Promise<boolean> {
  const probe = createServer();
  try {
    await listenOnLoopback(probe, port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') return false;
    throw error;
  }
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return true;
}

/** Listens on 127.0.0.1 only; EADDRINUSE becomes a {@link PortInUseError}. */
export async function listenOrExplain(
  server: Server | ReturnType<typeof createServer>,
  port: number,
  what: string,
  envVar: string,
): Promise<void> {
  try {
    await listenOnLoopback(server, port);
  } catch (error) {
    throw (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new PortInUseError(port, what, envVar) : error;
  }
}

/** Listens on 127.0.0.1 only (port 0: any free port) and resolves with the port it got. */
export function listenOnLoopback(server: Pick<NetServer, 'once' | 'off' | 'listen' | 'address'>, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
