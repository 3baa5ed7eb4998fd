import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { dependenciesFromEnv } from '../src/composition.ts';
import type { VersionEvent } from '../src/core/version-events.ts';

// The Lambda composition sends outcome events to the bus and registry its environment names.

const eventBridge = mockClient(EventBridgeClient);
afterEach(() => eventBridge.reset());

const event: VersionEvent = {
  id: 'id-1',
  outcome: 'stale',
  time: '2026-11-27T10:00:01.000Z',
  data: {
    repository: 'hello',
    version: '2.7',
    state: 'stale',
    digest: null,
    mediaType: null,
    tags: [],
    platforms: ['linux/amd64'],
    missingPlatforms: ['linux/arm64'],
    error: null,
    revision: 1,
  },
};
const base = { TABLE_NAME: 'versions', AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' };

describe('dependenciesFromEnv events', () => {
  it('puts on EVENT_BUS_NAME, naming REGISTRY_HOST as the registry', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    const deps = await dependenciesFromEnv({
      ...base,
      EVENT_BUS_NAME: 'releases',
      REGISTRY_HOST: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    });
    await deps.events.announce(event);
    const [entry] = eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries!;
    expect(entry).toMatchObject({ EventBusName: 'releases', Source: 'manifest-assembler', DetailType: 'Version Stale' });
    expect(JSON.parse(entry!.Detail!)).toMatchObject({ eventId: 'id-1', registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com' });
  });

  it('uses the default bus when EVENT_BUS_NAME is unset', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    const deps = await dependenciesFromEnv(base);
    await deps.events.announce(event);
    await deps.events.announce(event);
    expect(eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.[0]?.EventBusName)).toEqual([
      'default',
      'default',
    ]);
  });
});
