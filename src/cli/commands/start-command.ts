import { expectPositionals } from '../arg-values.ts';
import { CliError } from '../cli-error.ts';
import { defineCommand, HELP_OPTION } from './command.ts';

/** What `start` runs: the local runner's entry point (src/local/main.ts). */
export type StartLocalStack = () => Promise<unknown>;

const HELP = `Usage: manifest-assembler start

Starts the local stack: the registry on 127.0.0.1:5000, DynamoDB (dynalite) and the API with the
registry webhook on 127.0.0.1:8080, and stops all of it on Ctrl-C. Environment: REGISTRY_PORT,
API_PORT, DATA_DIR (default .local), REGISTRY_URL, RECONCILE_INTERVAL, and NOTIFY_URL (comma-separated
URLs that receive a signed CloudEvent for each published, stale, conflicting or failed version).`;

/** `start`: the local stack until Ctrl-C. No connection options: it is the API. */
export const startCommand = defineCommand({
  words: ['start'],
  summary: [['start', 'run the local stack (registry, DynamoDB, API) until Ctrl-C']],
  options: HELP_OPTION,
  help: HELP,
  parse: (_values, positionals) => {
    expectPositionals(positionals, 1, HELP);
    return {};
  },
  run: (_args, context) => runStart(context.startLocalStack),
});

// A variable specifier, so that the CLI type-checks and runs its other commands without the runner's module.
const LOCAL_RUNNER = new URL('../../local/main.ts', import.meta.url).href;

/** Loads the local runner and starts the stack; it runs until Ctrl-C. */
export async function runStart(start?: StartLocalStack): Promise<number> {
  const startLocalStack = start ?? (await loadLocalRunner());
  const result = await startLocalStack();
  // The runner may report an exit status; otherwise its servers keep the process alive until Ctrl-C.
  return typeof result === 'number' ? result : 0;
}

async function loadLocalRunner(): Promise<StartLocalStack> {
  const module = (await import(LOCAL_RUNNER)) as { startLocalStack?: unknown };
  if (typeof module.startLocalStack !== 'function') {
    throw new CliError(`${LOCAL_RUNNER} does not export startLocalStack()`);
  }
  return module.startLocalStack as StartLocalStack;
}
