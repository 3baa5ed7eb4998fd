import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { ApiClient } from './api-client.ts';
import { ApiError } from './api-error.ts';
import { parseCommandLine } from './args.ts';
import { CliError, ExitCodes, UsageError } from './cli-error.ts';
import { COMMANDS } from './command-table.ts';
import type { CliCommand, CommandContext } from './commands/command.ts';
import { untilSignal } from './commands/dashboard-command.ts';
import type { StartLocalStack } from './commands/start-command.ts';
import type { WaitClock } from './commands/wait-command.ts';
import { type Connection, resolveConnection } from './connection.ts';
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
    const connect = async (): Promise<Connection> => (connection ??= await resolveConnection(parsed.global, deps));
    const context: CommandContext = {
      output,
      connect,
      client: async () => {
        const { baseUrl, auth } = await connect();
        return new ApiClient({ baseUrl, auth, fetch: deps.fetch });
      },
      fetch: deps.fetch,
      clock: deps.clock,
      untilStopped: deps.untilStopped ?? untilSignal,
      startLocalStack: deps.startLocalStack,
    };
    // The table's entry for the parsed name: its parse made `parsed.command`, so its run takes it.
    const command = COMMANDS[parsed.command.name] as unknown as CliCommand;
    return (await command.run(parsed.command, context)) ?? ExitCodes.ok;
  } catch (error) {
    return reportFailure(error, connection, output);
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
