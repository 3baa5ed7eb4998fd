import { CliError } from '../cli-error.ts';

/** What `start` runs: the local runner's entry point (src/local/main.ts). */
export type StartLocalStack = () => Promise<unknown>;

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
