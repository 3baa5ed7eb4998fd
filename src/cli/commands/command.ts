import type { ApiClient } from '../api-client.ts';
import type { Options, OptionValues } from '../arg-values.ts';
import type { ExitCode } from '../cli-error.ts';
import type { Connection } from '../connection.ts';
import type { Output } from '../output.ts';
import type { StartLocalStack } from './start-command.ts';
import type { WaitClock } from './wait-command.ts';

/**
 * One command of the command line, whole: the words that select it, its node:util options, its help
 * text, how it reads its arguments, and what it runs. Each lives in its own file beside this one;
 * src/cli/command-table.ts lists them, args.ts parses with them and main.ts runs them.
 */
export interface CliCommand<O extends Options = Options, A = unknown> {
  /** The words after the program name: `['status']`, `['config', 'set']`. */
  readonly words: readonly [string, ...string[]];
  /** Its line(s) in the main help: the synopsis, then what it does. */
  readonly summary: readonly (readonly [synopsis: string, description: string])[];
  /** node:util parseArgs options, the connection options included for commands that talk to the API. */
  readonly options: O;
  /** Printed by `--help`, and after a usage error. */
  readonly help: string;
  /**
   * Reads the positionals (the command words included) and option values, as parsed strictly with
   * {@link options}; throws {@link UsageError} with {@link help}. Pure: no environment, no files.
   */
  parse(values: OptionValues<O>, positionals: readonly string[]): A;
  /** Runs it; no exit status means 0. */
  // biome-ignore lint/suspicious/noConfusingVoidType: most commands are plain async functions that return nothing (exit 0); `undefined` would make each of them return explicitly.
  run(args: A, context: CommandContext): Promise<ExitCode | number | void>;
}

/** What a command's run may use; main.ts builds it, tests replace its parts through CliDeps. */
export interface CommandContext {
  readonly output: Output;
  /** Where the API is and how to authenticate, decided on the first call (not at all for `start`). */
  connect(): Promise<Connection>;
  /** A client of the API at {@link connect}'s connection. */
  client(): Promise<ApiClient>;
  readonly fetch: typeof fetch;
  /** Time for `wait`'s polling. */
  readonly clock: WaitClock;
  /** How long `dashboard` serves: until Ctrl-C unless a test ends it. */
  readonly untilStopped: () => Promise<void>;
  /** What `start` runs; undefined loads src/local/main.ts. */
  readonly startLocalStack: StartLocalStack | undefined;
}

/** Checks a command's parts against each other (its parse sees its own options' values) and keeps their types. */
export function defineCommand<const O extends Options, A>(command: CliCommand<O, A>): CliCommand<O, A> {
  return command;
}

export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const satisfies Options;

/** Options every command that talks to the API accepts (read by args.ts into GlobalOptions). */
export const CONNECTION_OPTIONS = {
  api: { type: 'string' },
  token: { type: 'string' },
  region: { type: 'string' },
  sigv4: { type: 'boolean' },
  ...HELP_OPTION,
} as const satisfies Options;

export const CONNECTION_HELP = `Connection options (every command but start):
  --api <url>      the API (default: $MANIFEST_ASSEMBLER_API, else http://127.0.0.1:8080)
  --token <token>  bearer token for the local API (default: the api-token file in $DATA_DIR, else .local)
  --sigv4          sign requests with AWS SigV4 (automatic for *.execute-api.<region>.amazonaws.com)
  --region <name>  region to sign for (default: from the API's host name, else $AWS_REGION)`;

// Reconcile and backfill report per-item failures inside a successful answer; the exit status is the request's.
export const REPORT_EXIT_STATUS_HELP = `Exit status: 0 when every request succeeded, even if a report lists failures: they are printed,
and the next run (or the scheduled reconcile) tries them again; in a script, look at "failures" in
the --json output. 1 when a request fails, 2 for bad usage.`;
