import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  DynamoDbRequestCounter,
  parseDynamoDbRequests,
  renderDynamoDbRequests,
} from '../../../src/adapters/dynamodb/dynamodb-request-counter.ts';

/** A client whose commands are answered before they reach the network (the counter runs before). */
function offlineClient(): DynamoDBClient {
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  client.middlewareStack.add(() => async () => ({ output: { $metadata: {} }, response: {} }), { step: 'build', name: 'answerOffline' });
  return client;
}

describe('DynamoDbRequestCounter', () => {
  it('counts commands by operation and renders them as one Prometheus series each, which parse back per component', async () => {
    const client = offlineClient();
    const counter = new DynamoDbRequestCounter().attach(client);
    const inboxClient = offlineClient();
    const inbox = new DynamoDbRequestCounter('inbox').attach(inboxClient);
    await inboxClient.send(new PutItemCommand({ TableName: 't', Item: { pk: { S: 'i' } } }));
    const key = { pk: { S: 'a' }, sk: { S: 'b' } };
    await client.send(new GetItemCommand({ TableName: 't', Key: key }));
    await client.send(new GetItemCommand({ TableName: 't', Key: key }));
    await client.send(new PutItemCommand({ TableName: 't', Item: key }));
    expect(counter.counts()).toEqual({ GetItem: 2, PutItem: 1 });
    expect(counter.total()).toBe(3);
    const text = renderDynamoDbRequests(counter, inbox);
    expect(text).toContain('manifest_assembler_dynamodb_requests_total{component="handlers",operation="GetItem"} 2\n');
    expect(text.match(/# TYPE/g)).toHaveLength(1);
    expect(parseDynamoDbRequests(`other_metric 5\n${text}`)).toEqual({ GetItem: 2, PutItem: 1 });
    expect(parseDynamoDbRequests(text, 'inbox')).toEqual({ PutItem: 1 });
  });

  it('starts again from zero after reset', async () => {
    const client = offlineClient();
    const counter = new DynamoDbRequestCounter().attach(client);
    await client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } }));
    counter.reset();
    expect(counter.counts()).toEqual({});
    expect(parseDynamoDbRequests(renderDynamoDbRequests(counter))).toEqual({});
  });
});
