/**
 * The two ways a command line run goes wrong, each with its exit status (DESIGN §7):
 * bad usage (2, the usage is printed) and a failed request or unusable environment (1).
 */

export const ExitCodes = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

/** The command line itself is wrong; `usage` is the text of the command it was meant for. */
export class UsageError extends Error {
  constructor(message: string, readonly usage: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A request failed or could not be made; the message is what the user reads, so it says what to do. */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}
