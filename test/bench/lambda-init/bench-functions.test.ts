import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  InvalidParameterValueException,
  InvokeCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { BenchFunctions } from '../../../bench/lambda-init/bench-functions.ts';

// Command-level: the exact Lambda requests the bench sends, and how their answers come back.
const client = new LambdaClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const lambda = mockClient(client);
const settings = {
  roleArn: 'arn:aws:iam::123456789012:role/bench-init',
  runtime: 'nodejs22.x',
  architecture: 'arm64',
  memoryMb: 256,
} as const;
const functions = new BenchFunctions(client, settings, { roleRetryMs: 1 });
const config = { handler: 'index.handler', environment: { TABLE_NAME: 'bench' } };
const REPORT =
  'REPORT RequestId: 1\tDuration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 256 MB\tMax Memory Used: 80 MB\tInit Duration: 250.25 ms\t\n';

beforeEach(() => {
  lambda.reset();
  lambda.on(GetFunctionCommand).resolves({ Configuration: { State: 'Active', LastUpdateStatus: 'Successful' } });
});

describe('BenchFunctions', () => {
  it("creates a function as serverless.yml deploys one, tagged as the bench's, and waits until it is active", async () => {
    lambda.on(CreateFunctionCommand).resolves({});
    const zip = new Uint8Array([80, 75, 5, 6]);
    await functions.create('ma-init-abc-api', zip, config);
    expect(lambda.commandCalls(CreateFunctionCommand).map((call) => call.args[0].input)).toEqual([
      {
        FunctionName: 'ma-init-abc-api',
        Role: settings.roleArn,
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        MemorySize: 256,
        Timeout: 30,
        Handler: 'index.handler',
        Environment: { Variables: { TABLE_NAME: 'bench' } },
        Code: { ZipFile: zip },
        Tags: { 'manifest-assembler': 'bench-init' },
      },
    ]);
    expect(lambda.commandCalls(GetFunctionCommand).map((call) => call.args[0].input)).toEqual([{ FunctionName: 'ma-init-abc-api' }]);
  });

  it('tries again while a role just created cannot be assumed yet, and only then', async () => {
    const notYet = new InvalidParameterValueException({
      message: 'The role defined for the function cannot be assumed by Lambda.',
      $metadata: {},
    });
    lambda.on(CreateFunctionCommand).rejectsOnce(notYet).resolves({});
    await functions.create('ma-init-abc-api', new Uint8Array(), config);
    expect(lambda.commandCalls(CreateFunctionCommand)).toHaveLength(2);

    lambda.reset();
    const other = new InvalidParameterValueException({ message: 'Unzipped size must be smaller than 262144000 bytes', $metadata: {} });
    lambda.on(CreateFunctionCommand).rejects(other);
    await expect(functions.create('ma-init-abc-api', new Uint8Array(), config)).rejects.toThrow(/Unzipped size/);
    expect(lambda.commandCalls(CreateFunctionCommand)).toHaveLength(1);
  });

  it('sets handler and environment, and waits until the update has been applied', async () => {
    lambda.on(UpdateFunctionConfigurationCommand).resolves({});
    await functions.configure('ma-init-abc-api', { handler: 'check-compile-cache.handler', environment: { BENCH_COLD_START: '3' } });
    expect(lambda.commandCalls(UpdateFunctionConfigurationCommand).map((call) => call.args[0].input)).toEqual([
      { FunctionName: 'ma-init-abc-api', Handler: 'check-compile-cache.handler', Environment: { Variables: { BENCH_COLD_START: '3' } } },
    ]);
    expect(lambda.commandCalls(GetFunctionCommand)).toHaveLength(1);
  });

  it('invokes with the log tail asked for, and returns the REPORT line and the payload', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: new TextEncoder().encode('{"ok":true}') as never,
      LogResult: Buffer.from(REPORT).toString('base64'),
    });
    const invocation = await functions.invoke('ma-init-abc-api');
    expect(invocation).toEqual({ report: { durationMs: 1.5, initDurationMs: 250.25, maxMemoryUsedMb: 80 }, payload: '{"ok":true}' });
    const input = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect({ ...input, Payload: new TextDecoder().decode(input?.Payload as Uint8Array) }).toEqual({
      FunctionName: 'ma-init-abc-api',
      LogType: 'Tail',
      Payload: '{}',
    });
  });

  it('returns the error of a handler that threw beside its REPORT line', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: new TextEncoder().encode('{"errorMessage":"no event"}') as never,
      LogResult: Buffer.from(REPORT).toString('base64'),
    });
    expect(await functions.invoke('ma-init-abc-api')).toEqual({
      report: { durationMs: 1.5, initDurationMs: 250.25, maxMemoryUsedMb: 80 },
      payload: '{"errorMessage":"no event"}',
      functionError: 'Unhandled',
    });
  });

  it('deletes by name', async () => {
    lambda.on(DeleteFunctionCommand).resolves({});
    await functions.delete('ma-init-abc-api');
    expect(lambda.commandCalls(DeleteFunctionCommand).map((call) => call.args[0].input)).toEqual([{ FunctionName: 'ma-init-abc-api' }]);
  });
});
