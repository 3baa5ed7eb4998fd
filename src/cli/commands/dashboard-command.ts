import { startDashboardProxy } from '../../dashboard/dashboard-proxy.ts';
import type { Connection } from '../connection.ts';
import type { Output } from '../output.ts';

/**
 * `manifest-assembler dashboard`: serves the page on 127.0.0.1 and relays its calls to the API with
 * the connection's auth (SigV4 for a deployed API), until `untilStopped` resolves (Ctrl-C).
 */
export async function runDashboard(
  connection: Connection,
  port: number,
  output: Output,
  options: { fetch: typeof fetch; untilStopped: () => Promise<void> },
): Promise<void> {
  const proxy = await startDashboardProxy({ upstream: connection.baseUrl, auth: connection.auth, port, fetch: options.fetch, onError: (message) => output.err(message) });
  output.out(`Dashboard of ${connection.baseUrl.origin}${connection.baseUrl.pathname === '/' ? '' : connection.baseUrl.pathname}: ${proxy.url}`);
  output.out(`Token for the page (asked once per browser tab; valid while this runs): ${proxy.sessionToken}`);
  output.out(`Requests are sent with ${connection.authDescription}. Ctrl-C stops.`);
  try {
    await options.untilStopped();
  } finally {
    await proxy.stop();
  }
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
