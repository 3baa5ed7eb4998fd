/**
 * The ways a command line run goes wrong, each with its exit status (docs/cli.md): bad usage (2,
 * the usage is printed), a failed request or unusable environment (1), and `wait` giving up (3).
 */

export const ExitCodes = { ok: 0, failed: 1, usage: 2, timeout: 3 } as const;
export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

/** The command line itself is wrong; `usage` is the text of the command it was meant for. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A request failed or could not be made; the message is what the user reads, so it says what to do. */
export class CliError extends Error {
  /** The exit status: 1 (a failure) unless the command has its own for this outcome (`wait`'s timeout). */
  readonly exitCode: ExitCode;

  constructor(message: string, options?: { cause?: unknown; exitCode?: ExitCode }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = options?.exitCode ?? ExitCodes.failed;
  }
}
