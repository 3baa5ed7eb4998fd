import {
  type Architecture,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  InvalidParameterValueException,
  InvokeCommand,
  type LambdaClient,
  type Runtime,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { type InvocationReport, reportOfLogResult } from './report-line.ts';

/** How every bench function is deployed: as serverless.yml deploys the project's functions. */
export interface FunctionSettings {
  /** An execution role Lambda may assume; it needs no permission (nothing is called, logs are read from Invoke). */
  readonly roleArn: string;
  readonly runtime: Runtime;
  readonly architecture: Architecture;
  readonly memoryMb: number;
}

/** A function's configuration as the bench sets it between phases: which handler, which environment. */
export interface FunctionConfig {
  readonly handler: string;
  readonly environment: Readonly<Record<string, string>>;
}

/** One invocation's outcome: the REPORT line and what the handler returned (or the error it raised). */
export interface Invocation {
  readonly report: InvocationReport;
  readonly payload: string;
  /** Set when the handler threw: Lambda's `FunctionError` (`Unhandled`). The bench's functions are invoked with an event they refuse, so this is expected for them. */
  readonly functionError?: string;
}

/** Tags every bench function carries, so that one left behind by a killed run can be found and deleted. */
export const BENCH_TAGS = { 'manifest-assembler': 'bench-init' } as const;

// Updates of a function's configuration settle in seconds; a minute means something is wrong.
const WAIT = { minDelay: 1, maxDelay: 5, maxWaitTime: 120 };
const TIMEOUT_SECONDS = 30;
const ROLE_ATTEMPTS = 12;

/** The bench's functions on Lambda, through the SDK: created, reconfigured, invoked for their REPORT line, deleted. */
export class BenchFunctions {
  readonly #client: LambdaClient;
  readonly #settings: FunctionSettings;
  readonly #roleRetryMs: number;

  /** `roleRetryMs`: the pause between attempts while a role just created is not yet assumable (IAM is eventually consistent). */
  constructor(client: LambdaClient, settings: FunctionSettings, options: { roleRetryMs?: number } = {}) {
    this.#client = client;
    this.#settings = settings;
    this.#roleRetryMs = options.roleRetryMs ?? 5_000;
  }

  async create(name: string, zip: Uint8Array, config: FunctionConfig): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#send(name, zip, config);
        break;
      } catch (error) {
        // A role created a moment ago is refused for some seconds: "The role defined for the function cannot be assumed by Lambda."
        const roleNotYet = error instanceof InvalidParameterValueException && /cannot be assumed/i.test(error.message);
        if (!roleNotYet || attempt >= ROLE_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, this.#roleRetryMs));
      }
    }
    await waitUntilFunctionActiveV2({ client: this.#client, ...WAIT }, { FunctionName: name });
  }

  async #send(name: string, zip: Uint8Array, config: FunctionConfig): Promise<void> {
    const { roleArn, runtime, architecture, memoryMb } = this.#settings;
    await this.#client.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Role: roleArn,
        Runtime: runtime,
        Architectures: [architecture],
        MemorySize: memoryMb,
        Timeout: TIMEOUT_SECONDS,
        Handler: config.handler,
        Environment: { Variables: { ...config.environment } },
        Code: { ZipFile: zip },
        Tags: { ...BENCH_TAGS },
      }),
    );
  }

  /** Sets handler and environment and waits until Lambda has applied them: the next invocation starts a new execution environment. */
  async configure(name: string, config: FunctionConfig): Promise<void> {
    await this.#client.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: name,
        Handler: config.handler,
        Environment: { Variables: { ...config.environment } },
      }),
    );
    await waitUntilFunctionUpdatedV2({ client: this.#client, ...WAIT }, { FunctionName: name });
  }

  /** Invokes with the event `{}`, which every bench function refuses or fails on without effect: only the REPORT line matters. */
  async invoke(name: string): Promise<Invocation> {
    const response = await this.#client.send(
      new InvokeCommand({ FunctionName: name, LogType: 'Tail', Payload: new TextEncoder().encode('{}') }),
    );
    const payload = response.Payload === undefined ? '' : new TextDecoder().decode(response.Payload);
    const report = reportOfLogResult(response.LogResult);
    return response.FunctionError === undefined ? { report, payload } : { report, payload, functionError: response.FunctionError };
  }

  async delete(name: string): Promise<void> {
    await this.#client.send(new DeleteFunctionCommand({ FunctionName: name }));
  }
}
