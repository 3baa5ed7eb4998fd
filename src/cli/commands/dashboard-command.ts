import { startDashboardProxy } from '../../dashboard/dashboard-proxy.ts';
import { expectPositionals, type Options } from '../arg-values.ts';
import { UsageError } from '../cli-error.ts';
import type { Connection } from '../connection.ts';
import type { Output } from '../output.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, defineCommand } from './command.ts';

const OPTIONS = { ...CONNECTION_OPTIONS, port: { type: 'string' } } as const satisfies Options;

const HELP = `Usage: manifest-assembler dashboard [--port <n>]

Serves the dashboard (versions × platforms, live) on http://127.0.0.1:<n>/ (default 8090) and
relays the page's read-only API calls to --api, signed with SigV4 from the standard AWS credential
chain for a deployed API: no credential reaches the browser. Prints a token that the page asks for
once. Runs until Ctrl-C. The local stack serves the same page itself at http://127.0.0.1:8080/.

Options:
  --port <n>   the local port (0: any free port)

${CONNECTION_HELP}`;

/**
 * `dashboard [--port <n>]`: serves the page on 127.0.0.1 and relays its calls to the API with the
 * connection's auth (SigV4 for a deployed API), until Ctrl-C.
 */
export const dashboardCommand = defineCommand({
  words: ['dashboard'],
  summary: [['dashboard [--port <n>]', 'open the live dashboard of an API (signs for a deployed one)']],
  options: OPTIONS,
  help: HELP,
  /** `port` 0: any free port. */
  parse: (values, positionals) => {
    expectPositionals(positionals, 1, HELP);
    const text = values.port ?? '8090';
    if (!/^\d{1,5}$/.test(text) || Number(text) > 65535)
      throw new UsageError(`--port "${text}" must be a port number (0 to 65535; 0 picks a free one)`, HELP);
    return { port: Number(text) };
  },
  run: async ({ port }, context) => runDashboard(await context.connect(), port, context.output, context),
});

async function runDashboard(
  connection: Connection,
  port: number,
  output: Output,
  options: { fetch: typeof fetch; untilStopped: () => Promise<void> },
): Promise<void> {
  const proxy = await startDashboardProxy({
    upstream: connection.baseUrl,
    auth: connection.auth,
    port,
    fetch: options.fetch,
    onError: (message) => output.err(message),
  });
  output.out(
    `Dashboard of ${connection.baseUrl.origin}${connection.baseUrl.pathname === '/' ? '' : connection.baseUrl.pathname}: ${proxy.url}`,
  );
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
