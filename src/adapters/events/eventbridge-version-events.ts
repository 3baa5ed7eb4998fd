import { EventBridgeClient, PutEventsCommand, type PutEventsCommandOutput, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { DomainError, ErrorCodes } from '../../core/errors.ts';
import { formatEventPayload } from '../../core/event-payload.ts';
import type { VersionEvents } from '../../core/ports.ts';
import type { VersionEvent, VersionOutcome } from '../../core/version-events.ts';

/** The `source` of every event manifest-assembler puts on EventBridge (a rule matches on it). */
export const EVENT_SOURCE = 'manifest-assembler';

/** The `detail-type` of each outcome, as rules match on it. */
export const DetailTypes: Readonly<Record<VersionOutcome, string>> = {
  published: 'Version Published',
  'partially-published': 'Version Partially Published',
  stale: 'Version Stale',
  conflict: 'Version Conflict',
  failed: 'Version Failed',
};

export interface EventBridgeVersionEventsOptions {
  readonly client: EventBridgeClient;
  /** The bus name (or ARN) events go to; `default` is the account's default bus. */
  readonly eventBusName: string;
  /** The registry host the versions live in (`<account>.dkr.ecr.<region>.amazonaws.com`), for `detail.registry`. */
  readonly registry: string;
}

// Errors after which the same call cannot succeed: a wrong bus, a missing permission.
const PERMANENT = new Set(['AccessDeniedException', 'ResourceNotFoundException', 'ValidationException', 'InvalidEventPatternException']);

/**
 * The {@link VersionEvents} on Amazon EventBridge: one `PutEvents` entry per outcome. EventBridge
 * assigns its own envelope `id` to every put, so the stable id travels in `detail.eventId`.
 * PutEvents answers 200 even when an entry was refused (`FailedEntryCount`, and an `ErrorCode` on
 * the entry, e.g. `ThrottlingException` or `InternalFailure`): that is thrown, marked retryable.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 */
export class EventBridgeVersionEvents implements VersionEvents {
  readonly #client: EventBridgeClient;
  readonly #eventBusName: string;
  readonly #registry: string;

  constructor(options: EventBridgeVersionEventsOptions) {
    this.#client = options.client;
    this.#eventBusName = options.eventBusName;
    this.#registry = options.registry;
  }

  async announce(event: VersionEvent): Promise<void> {
    const what = `${DetailTypes[event.outcome]} ${event.data.repository}:${event.data.version} (${event.id})`;
    let result: PutEventsCommandOutput;
    try {
      result = await this.#client.send(new PutEventsCommand({ Entries: [this.#entry(event)] }));
    } catch (error) {
      const name = (error as { name?: unknown } | null)?.name;
      const message = error instanceof Error ? error.message : String(error);
      const code = name === 'AccessDeniedException' ? ErrorCodes.denied : ErrorCodes.unavailable;
      throw new DomainError(code, `EventBridge PutEvents of ${what} on bus ${this.#eventBusName} failed: ${String(name)}: ${message}`, {
        retryable: !PERMANENT.has(String(name)),
        cause: error,
      });
    }
    if ((result.FailedEntryCount ?? 0) > 0) {
      const entry = result.Entries?.[0];
      throw new DomainError(
        ErrorCodes.unavailable,
        `EventBridge refused ${what} on bus ${this.#eventBusName}: ${entry?.ErrorCode ?? 'unknown'}: ${entry?.ErrorMessage ?? 'no message'}`,
        { retryable: true, details: { errorCode: entry?.ErrorCode } },
      );
    }
  }

  #entry(event: VersionEvent): PutEventsRequestEntry {
    // Fixed key order: the same outcome always produces the same detail text.
    const detail = { eventId: event.id, ...formatEventPayload(event.data, this.#registry) };
    return {
      EventBusName: this.#eventBusName,
      Source: EVENT_SOURCE,
      DetailType: DetailTypes[event.outcome],
      Time: new Date(event.time),
      Detail: JSON.stringify(detail),
    };
  }
}

/** The EventBridge client for {@link EventBridgeVersionEvents}; the SDK retries throttling and 5xx itself. */
export function createEventBridgeClient(region?: string): EventBridgeClient {
  return new EventBridgeClient({ ...(region === undefined ? {} : { region }), maxAttempts: 4 });
}
