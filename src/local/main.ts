import { describeError } from '../core/errors.ts';
import { createConsoleLogger, parseLogLevel } from './console-logger.ts';
import { readLocalSettings } from './local-settings.ts';
import { type LocalStack, startLocalStackWith } from './local-stack.ts';
import { wireLocalHandlers } from './wire-handlers.ts';

export type { LocalStack } from './local-stack.ts';

export interface StartLocalStackOptions {
  /** Defaults to process.env: REGISTRY_PORT, API_PORT, DATA_DIR, REGISTRY_URL, RECONCILE_INTERVAL, NOTIFY_URL, LOG_LEVEL. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /**
   * True (the default) when this is the process's whole job (`npm start`, `manifest-assembler start`):
   * a failed start prints why and exits 1, SIGINT/SIGTERM stop everything and exit 0. Tests pass
   * false and get a thrown error and no signal handlers instead.
   */
  readonly standalone?: boolean;
  /** Where the start-up message goes; stdout by default. */
  readonly print?: (text: string) => void;
}

/**
 * Starts the local stack (docs/local.md): dynalite, the registry, the HTTP server around the same
 * handlers as on AWS, and the reconcile timer. Resolves once everything answers.
 */
export async function startLocalStack(options: StartLocalStackOptions = {}): Promise<LocalStack> {
  const startedAt = performance.now();
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const standalone = options.standalone ?? true;
  const logger = createConsoleLogger(parseLogLevel(env.LOG_LEVEL) ?? 'info');
  let stack: LocalStack;
  try {
    stack = await startLocalStackWith({
      settings: readLocalSettings(env, cwd),
      logger,
      wire: wireLocalHandlers,
      print: options.print ?? ((text) => process.stdout.write(text)),
      cwd,
      startedAt,
      onRegistryExit: standalone ? () => void stopAndExit(1) : undefined,
      onDynaliteExit: standalone ? () => void stopAndExit(1) : undefined,
    });
  } catch (error) {
    if (!standalone) throw error;
    process.stderr.write(`manifest-assembler start: ${describeError(error)}\n`);
    process.exit(1);
  }
  if (!standalone) return stack;

  let exiting = false;
  async function stopAndExit(code: number): Promise<void> {
    if (exiting) return;
    exiting = true;
    try {
      await stack.stop();
    } catch (error) {
      process.stderr.write(`manifest-assembler start: stopping failed: ${describeError(error)}\n`);
      process.exit(1);
    }
    process.exit(code);
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    if (exiting) {
      logger.warn(`local stack: ${signal} again while stopping; still waiting for the registry and dynalite`);
      return;
    }
    logger.info(`local stack: ${signal} received, stopping`);
    void stopAndExit(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return stack;
}
