import { EventBridgeClient, EventBridgeServiceException, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeVersionEvents } from '../../../src/adapters/events/eventbridge-version-events.ts';
import { DomainError } from '../../../src/core/errors.ts';
import type { VersionEvent } from '../../../src/core/version-events.ts';

// Command-level: the exact PutEvents input, and how a refused entry or a failed call comes back.

const client = new EventBridgeClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const eventBridge = mockClient(client);
const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

/** The DomainError a promise rejects with; fails the test otherwise. */
async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

const event = (outcome: VersionEvent['outcome'], overrides: Partial<VersionEvent['data']> = {}): VersionEvent => ({
  id: '0f1e2d3c-4b5a-8968-a7b6-c5d4e3f2a1b0',
  outcome,
  time: '2026-11-27T10:00:01.000Z',
  data: {
    repository: 'team/hello',
    version: '2.7',
    state: 'published',
    digest: 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
    mediaType: 'application/vnd.oci.image.index.v1+json',
    tags: ['2.7', 'latest'],
    platforms: ['linux/amd64', 'linux/arm64'],
    missingPlatforms: [],
    error: null,
    revision: 2,
    ...overrides,
  },
});

describe('EventBridgeVersionEvents', () => {
  const events = new EventBridgeVersionEvents({ client, eventBusName: 'releases', registry: REGISTRY });
  beforeEach(() => {
    eventBridge.reset();
  });

  it('puts one entry on the bus: source manifest-assembler, the detail-type of the outcome, the payload as detail', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'eb-1' }] });
    await events.announce(event('published'));
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      Entries: [
        {
          EventBusName: 'releases',
          Source: 'manifest-assembler',
          DetailType: 'Version Published',
          Time: new Date('2026-11-27T10:00:01.000Z'),
          Detail:
            '{"eventId":"0f1e2d3c-4b5a-8968-a7b6-c5d4e3f2a1b0","repository":"team/hello","version":"2.7","state":"published",' +
            '"digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","mediaType":"application/vnd.oci.image.index.v1+json",' +
            '"tags":["2.7","latest"],"platforms":["linux/amd64","linux/arm64"],"missingPlatforms":[],"error":null,' +
            `"registry":"${REGISTRY}","revision":2}`,
        },
      ],
    });
  });

  it.each([
    ['published', 'Version Published'],
    ['partially-published', 'Version Partially Published'],
    ['stale', 'Version Stale'],
    ['conflict', 'Version Conflict'],
    ['failed', 'Version Failed'],
  ] as const)('names outcome %s "%s"', async (outcome, detailType) => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'eb-1' }] });
    await events.announce(event(outcome));
    expect(eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries?.[0]?.DetailType).toBe(detailType);
  });

  it("throws a retryable error naming the entry's error code when EventBridge refused the entry", async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }] });
    const error = await rejection(events.announce(event('conflict', { state: 'conflict', error: 'two tags claim linux/amd64' })));
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ retryable: true, code: 'unavailable' });
    expect((error as Error).message).toBe(
      'EventBridge refused Version Conflict team/hello:2.7 (0f1e2d3c-4b5a-8968-a7b6-c5d4e3f2a1b0) on bus releases: ThrottlingException: Rate exceeded',
    );
  });

  it.each([
    ['InternalException', true, 'unavailable'],
    ['ResourceNotFoundException', false, 'unavailable'],
    ['AccessDeniedException', false, 'denied'],
  ])('translates a thrown %s (retryable: %s)', async (name, retryable, code) => {
    eventBridge
      .on(PutEventsCommand)
      .rejects(new EventBridgeServiceException({ name, $fault: 'client', message: `${name} happened`, $metadata: {} }));
    const error = await rejection(events.announce(event('published')));
    expect(error).toMatchObject({ retryable, code });
    expect((error as Error).message).toContain(`on bus releases failed: ${name}: ${name} happened`);
  });
});
