import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { ApiClient } from './api-client.ts';
import { ApiError } from './api-error.ts';
import { parseCommandLine, type Command } from './args.ts';
import { CliError, ExitCodes, UsageError } from './cli-error.ts';
import { runBackfill } from './commands/backfill-command.ts';
import { runDashboard, untilSignal } from './commands/dashboard-command.ts';
import { runConfigDelete, runConfigGet, runConfigSet } from './commands/config-command.ts';
import { runPublish } from './commands/publish-command.ts';
import { runReconcile } from './commands/reconcile-command.ts';
import { runRepos } from './commands/repos-command.ts';
import { runStart, type StartLocalStack } from './commands/start-command.ts';
import { runStatus } from './commands/status-command.ts';
import { runWait, type WaitClock } from './commands/wait-command.ts';
import { resolveConnection, type Connection } from './connection.ts';
import type { Output } from './output.ts';

/** Everything the command line touches outside itself; tests replace parts of it. */
export interface CliDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly fetch: typeof fetch;
  readonly credentials: () => AwsCredentialIdentityProvider;
  readonly startLocalStack?: StartLocalStack;
  /** Time for `wait`'s polling; tests pass a virtual one. */
  readonly clock: WaitClock;
  /** How long `dashboard` serves: until Ctrl-C by default; tests end it themselves. */
  readonly untilStopped?: () => Promise<void>;
}

const PROGRAM = 'manifest-assembler';

/**
 * Runs `manifest-assembler <argv…>` and returns the exit status: 0 done, 1 a failed request
 * (the problem's detail printed), 2 bad usage (the usage printed), 3 `wait` timed out. Never throws.
 */
export async function main(argv: readonly string[], overrides: Partial<CliDeps> = {}): Promise<number> {
  const deps: CliDeps = {
    env: process.env,
    cwd: process.cwd(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    fetch: globalThis.fetch,
    credentials: defaultCredentialChain,
    clock: { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
    ...overrides,
  };
  const output: Output = { out: (text) => deps.stdout(`${text}\n`), err: (text) => deps.stderr(`${text}\n`) };
  let connection: Connection | undefined;
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === 'help') {
      output.out(parsed.text);
      return ExitCodes.ok;
    }
    if (parsed.command.name === 'start') return await runStart(deps.startLocalStack);
    connection = await resolveConnection(parsed.global, deps);
    if (parsed.command.name === 'dashboard') {
      await runDashboard(connection, parsed.command.port, output, { fetch: deps.fetch, untilStopped: deps.untilStopped ?? untilSignal });
      return ExitCodes.ok;
    }
    const client = new ApiClient({ baseUrl: connection.baseUrl, auth: connection.auth, fetch: deps.fetch });
    await runCommand(client, parsed.command, output, deps.clock);
    return ExitCodes.ok;
  } catch (error) {
    return reportFailure(error, connection, output);
  }
}

async function runCommand(client: ApiClient, command: Exclude<Command, { name: 'start' | 'dashboard' }>, output: Output, clock: WaitClock): Promise<void> {
  switch (command.name) {
    case 'config-set':
      return runConfigSet(client, command.repository, command.config, output);
    case 'config-get':
      return runConfigGet(client, command.repository, output);
    case 'config-delete':
      return runConfigDelete(client, command.repository, output);
    case 'repos':
      return runRepos(client, command.json, output);
    case 'status':
      return runStatus(client, command, output);
    case 'publish':
      return runPublish(client, command.repository, command.version, command.allowPartial, output);
    case 'reconcile':
      return runReconcile(client, command, output);
    case 'backfill':
      return runBackfill(client, command, output);
    case 'wait':
      return runWait(client, command, output, clock);
  }
}

/**
 * The standard AWS credential chain (env, SSO, profiles, IMDS…), loaded on first use: most runs talk
 * to the local API and should not pay for loading it.
 */
function defaultCredentialChain(): AwsCredentialIdentityProvider {
  let chain: Promise<AwsCredentialIdentityProvider> | undefined;
  return async (options) => {
    chain ??= import('@aws-sdk/credential-providers').then(({ fromNodeProviderChain }) => fromNodeProviderChain());
    return (await chain)(options);
  };
}

function reportFailure(error: unknown, connection: Connection | undefined, output: Output): number {
  if (error instanceof UsageError) {
    output.err(`${PROGRAM}: ${error.message}\n\n${error.usage}`);
    return ExitCodes.usage;
  }
  if (error instanceof ApiError) {
    const refused = error.status === 401 || error.status === 403;
    const hint = refused && connection !== undefined ? `\n(the API refused ${connection.authDescription})` : '';
    output.err(`${PROGRAM}: ${error.message}${hint}`);
    return ExitCodes.failed;
  }
  if (error instanceof CliError) {
    output.err(`${PROGRAM}: ${error.message}`);
    return error.exitCode;
  }
  // Anything else is a bug in the CLI or the runner: the stack helps whoever reports it.
  output.err(`${PROGRAM}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return ExitCodes.failed;
}
