import type { Server } from 'node:http';
import { createServer } from 'node:net';

/** A port the local stack needs is taken; the message names the port and the variable that moves it. */
export class PortInUseError extends Error {
  constructor(readonly port: number, readonly what: string, readonly envVar: string) {
    super(`port ${port} on 127.0.0.1 (${what}) is already in use; stop what holds it or set ${envVar} to a free port`);
    this.name = 'PortInUseError';
  }
}

/** Throws {@link PortInUseError} when 127.0.0.1:`port` cannot be bound right now. */
export async function assertPortFree(port: number, what: string, envVar: string): Promise<void> {
  const probe = createServer();
  await listenOrExplain(probe, port, what, envVar);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/** Listens on 127.0.0.1 only; EADDRINUSE becomes a {@link PortInUseError}. */
export function listenOrExplain(server: Server | ReturnType<typeof createServer>, port: number, what: string, envVar: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, what, envVar) : error);
    };
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve();
    });
  });
}
