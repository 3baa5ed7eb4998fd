import type { ApiClient } from '../api-client.ts';
import { ApiError } from '../api-error.ts';
import type { VersionStatus } from '../api-types.ts';
import { expectPositionals, type Options, repositoryRef } from '../arg-values.ts';
import { CliError, ExitCodes, UsageError } from '../cli-error.ts';
import type { Output } from '../output.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, defineCommand } from './command.ts';

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  timeout: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Options;

const HELP = `Usage: manifest-assembler wait <repository>:<version> [--timeout 10m] [--json]

Waits until the version is published with every required platform, for a deploy job that must not
start before the multi-arch index exists. Polls the API, about every second at first and every 5
seconds later. A version not recorded yet (no per-arch push has arrived) is waited for.

A partial publish (allowPartial, or onStale: publish-partial) is not what a release waits for: wait
goes on until the index holds every required platform, unless the version turns stale.

Options:
  --timeout <duration>   give up after this long: 90s, 10m, 1h (default 10m)
  --json                 print the version's status as JSON (on success, failure and timeout)

Exit status: 0 published (the index digest is printed on stdout); 1 the version is in conflict,
failed or stale (the reason is printed), or a request was refused; 2 bad usage; 3 timed out.

${CONNECTION_HELP}`;

export interface WaitOptions {
  readonly repository: string;
  readonly version: string;
  readonly timeoutMs: number;
  readonly json: boolean;
}

export const DEFAULT_WAIT_TIMEOUT_MS = 10 * 60_000;

/** `wait <repository>:<version>`: blocks a release pipeline until the version is published. */
export const waitCommand = defineCommand({
  words: ['wait'],
  summary: [['wait <repository>:<version>', 'wait until a version is published (for CI; exit 3 on --timeout)']],
  options: OPTIONS,
  help: HELP,
  parse: (values, positionals): WaitOptions => {
    expectPositionals(positionals, 2, HELP);
    const ref = repositoryRef(positionals[1], HELP);
    if (ref.version === undefined) throw new UsageError(`wait needs <repository>:<version>, got "${positionals[1]}"`, HELP);
    const timeoutMs = values.timeout === undefined ? DEFAULT_WAIT_TIMEOUT_MS : parseTimeout(values.timeout, HELP);
    return { repository: ref.repository, version: ref.version, timeoutMs, json: values.json === true };
  },
  run: async (options, { client, output, clock }) => runWait(await client(), options, output, clock),
});

const TIMEOUT = /^(\d{1,7})(s|m|h)?$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;
const MAX_TIMEOUT_MS = 24 * 3_600_000;

/** `90s`, `10m`, `1h` (a bare number is seconds), from 1 s to 24 h. */
function parseTimeout(text: string, usage: string): number {
  const match = TIMEOUT.exec(text.trim());
  const ms = match === null ? NaN : Number(match[1]) * UNIT_MS[(match[2] ?? 's') as keyof typeof UNIT_MS];
  if (!(ms >= 1_000 && ms <= MAX_TIMEOUT_MS)) {
    throw new UsageError(`--timeout "${text}" must be a duration from 1s to 24h, such as 90s, 10m or 1h`, usage);
  }
  return ms;
}

/** Virtual in tests, so that no test waits for real time. */
export interface WaitClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Poll intervals: quick at first (the last push is often seconds away), then a gentle steady rate. */
export const WaitTiming = { firstPollMs: 1_000, maxPollMs: 5_000, factor: 2 } as const;

type Look =
  | { readonly kind: 'status'; readonly status: VersionStatus }
  | { readonly kind: 'not-recorded' }
  /** The API could not answer this time (unreachable, 5xx, throttled): worth asking again. */
  | { readonly kind: 'unavailable'; readonly reason: string };

/**
 * Polls the version until it is published (prints the digest, or the status with --json), fails
 * (throws a {@link CliError}: exit 1, the reason printed) or the timeout passes (exit 3). Progress
 * goes to stderr, one line per change, so a CI log shows what the job is waiting for.
 */
async function runWait(client: ApiClient, options: WaitOptions, output: Output, clock: WaitClock): Promise<void> {
  const ref = `${options.repository}:${options.version}`;
  const deadline = clock.now() + options.timeoutMs;
  let delay: number = WaitTiming.firstPollMs;
  let said: string | undefined;
  let last: Look | undefined;
  for (;;) {
    last = await look(client, options);
    if (last.kind === 'status') {
      const status = last.status;
      const verdict = judge(status);
      if (verdict.kind === 'published') {
        output.out(options.json ? JSON.stringify(status, null, 2) : verdict.digest);
        output.err(`${ref} is published as ${status.published?.tags.join(', ') || verdict.digest} (${verdict.digest}).`);
        return;
      }
      if (verdict.kind === 'failed') {
        if (options.json) output.out(JSON.stringify(status, null, 2));
        throw new CliError(`${ref} ${verdict.reason}`);
      }
    }
    const progress = describeProgress(last);
    if (progress !== said) output.err(`${ref}: ${progress}`);
    said = progress;
    const remaining = deadline - clock.now();
    if (remaining <= 0) break;
    await clock.sleep(Math.min(delay, remaining));
    delay = Math.min(delay * WaitTiming.factor, WaitTiming.maxPollMs);
  }
  if (options.json && last.kind === 'status') output.out(JSON.stringify(last.status, null, 2));
  throw new CliError(`gave up waiting for ${ref} after ${formatDuration(options.timeoutMs)}: ${describeProgress(last)}`, {
    exitCode: ExitCodes.timeout,
  });
}

type Verdict =
  | { readonly kind: 'published'; readonly digest: string }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'pending' };

/**
 * Published means every required platform is in the published index: state `published` and not
 * partial. A partial publish keeps the wait going (the missing platforms may still arrive) unless
 * the version is stale, which fails the wait like a conflict.
 */
function judge(status: VersionStatus): Verdict {
  const { published } = status;
  if (status.state === 'published' && published !== null && !published.partial) return { kind: 'published', digest: published.digest };
  if (status.state === 'conflict') return { kind: 'failed', reason: `is in conflict: ${status.error ?? 'see status'}` };
  if (status.state === 'failed') return { kind: 'failed', reason: `failed to publish: ${status.error ?? 'see status'}` };
  if (status.state === 'stale') {
    const partly = published === null ? '' : ` (published partially as ${published.digest})`;
    return {
      kind: 'failed',
      reason: `is stale: still missing ${list(status.missingPlatforms)} after the repository's staleAfter${partly}`,
    };
  }
  return { kind: 'pending' };
}

async function look(client: ApiClient, options: WaitOptions): Promise<Look> {
  try {
    return { kind: 'status', status: await client.getVersion(options.repository, options.version) };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return { kind: 'not-recorded' };
    if (error instanceof ApiError && (error.status === 429 || error.status >= 500)) return { kind: 'unavailable', reason: error.message };
    // A refused credential or a bad request will not get better by waiting.
    if (error instanceof ApiError) throw error;
    if (error instanceof CliError) return { kind: 'unavailable', reason: error.message };
    throw error;
  }
}

function describeProgress(look: Look): string {
  if (look.kind === 'not-recorded') return 'no per-arch push recorded yet';
  if (look.kind === 'unavailable') return `the API did not answer (${look.reason}); asking again`;
  const { status } = look;
  if (status.state === 'published' && status.published?.partial === true) {
    return `published partially (${status.published.digest}); waiting for a publish with every required platform`;
  }
  if (status.missingPlatforms.length > 0) {
    const have = status.images.map((image) => image.platform);
    return `waiting for ${list(status.missingPlatforms)}${have.length === 0 ? '' : ` (have ${list(have)})`}`;
  }
  return status.state;
}

function list(items: readonly string[]): string {
  return items.length === 0 ? 'nothing' : items.join(', ');
}

function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}
