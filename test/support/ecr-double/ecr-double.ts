import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ECRClientConfig } from '@aws-sdk/client-ecr';
import { listenOnLoopback } from '../../../src/local/ports.ts';
import { EcrException, readBody, sendException, sendJson, TARGET_PREFIX } from './aws-json.ts';
import { BLOB_DOWNLOAD_PATH, type BlobDownloadRecord, serveBlobDownload } from './blob-download.ts';
import { putImage } from './put-image.ts';
import { batchGetImage, describeImages, getDownloadUrlForLayer, listImages } from './read-operations.ts';
import { RegistryClient } from './registry-client.ts';
import type { DoubleState, TagMutability } from './state.ts';

export type { BlobDownloadRecord } from './blob-download.ts';
export type { TagMutability } from './state.ts';

type Operation = (state: DoubleState, input: Record<string, unknown>) => Promise<unknown>;

const OPERATIONS: Readonly<Record<string, Operation>> = {
  BatchGetImage: batchGetImage,
  DescribeImages: describeImages,
  GetDownloadUrlForLayer: getDownloadUrlForLayer,
  ListImages: listImages,
  PutImage: putImage,
};

/** One ECR API call as the double received it, and how it ended (`ok` or the exception's name). */
export interface EcrCall {
  readonly operation: string;
  readonly input: Record<string, unknown>;
  readonly outcome: string;
}

export interface EcrDouble {
  /** `http://127.0.0.1:PORT`: the SDK's `endpoint`. */
  readonly endpoint: string;
  readonly registryId: string;
  /** Every API call, in order. */
  readonly calls: readonly EcrCall[];
  /** Every GET of a download URL, in order. */
  readonly blobDownloads: readonly BlobDownloadRecord[];
  callsTo(operation: string): EcrCall[];
  /** Declares an ECR repository (the images themselves live in the registry under the same name). */
  createRepository(name: string, options?: { tagMutability?: TagMutability }): void;
  /** BatchGetImage will serve this manifest with one byte changed. */
  corruptManifest(digest: string): void;
  /** Download URLs will serve this blob with one byte changed. */
  corruptBlob(digest: string): void;
  /** The next `times` calls of `operation` fail with this exception (ThrottlingException, ServerException…). */
  failNext(operation: string, exception: string, options?: { times?: number; message?: string }): void;
  setMaxPageSize(size: number): void;
  /** SDK settings that point an ECRClient at the double: endpoint, a region, dummy credentials. */
  clientConfig(): ECRClientConfig;
  close(): Promise<void>;
}

/**
 * Starts a test double of the ECR JSON API (AWS JSON 1.1: `POST /`, `X-Amz-Target:
 * AmazonEC2ContainerRegistry_V20150921.<Op>`) on 127.0.0.1, backed by a real OCI registry for every
 * byte it serves or stores. Not shipped; see the operation files for which ECR behaviour it copies.
 */
export async function startEcrDouble(options: { registryUrl: string; registryId?: string }): Promise<EcrDouble> {
  const state: DoubleState = {
    registry: new RegistryClient(options.registryUrl),
    registryId: options.registryId ?? '123456789012',
    baseUrl: '',
    repositories: new Map(),
    corruptManifests: new Set(),
    corruptBlobs: new Set(),
    maxPageSize: 1000,
  };
  const calls: EcrCall[] = [];
  const blobDownloads: BlobDownloadRecord[] = [];
  const injected = new Map<string, Array<{ exception: string; message: string }>>();

  async function handleApi(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = request.headers['x-amz-target'];
    const operation = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    const body = await readBody(request);
    let input: Record<string, unknown> = {};
    try {
      input = body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as Record<string, unknown>);
      const implementation = OPERATIONS[operation];
      if (implementation === undefined)
        throw new EcrException('UnknownOperationException', `ecr-double does not implement '${String(target)}'`);
      if (!String(request.headers['content-type']).startsWith('application/x-amz-json-1.1')) {
        throw new EcrException(
          'SerializationException',
          `expected Content-Type application/x-amz-json-1.1, got ${String(request.headers['content-type'])}`,
        );
      }
      const fault = injected.get(operation)?.shift();
      if (fault !== undefined) throw new EcrException(fault.exception, fault.message);
      const output = await implementation(state, input);
      calls.push({ operation, input, outcome: 'ok' });
      sendJson(response, 200, output);
    } catch (error) {
      const exception = error instanceof EcrException ? error : new EcrException('ServerException', `ecr-double: ${String(error)}`);
      calls.push({ operation, input, outcome: exception.type });
      sendException(response, exception);
    }
  }

  const server = createServer((request, response) => {
    const handler =
      request.url?.startsWith(BLOB_DOWNLOAD_PATH) === true
        ? serveBlobDownload(state, request, response, (entry) => blobDownloads.push(entry))
        : request.method === 'POST' && (request.url === '/' || request.url?.startsWith('/?') === true)
          ? handleApi(request, response)
          : Promise.resolve(
              sendException(
                response,
                new EcrException('UnknownOperationException', `ecr-double: no route for ${request.method} ${request.url}`, 404),
              ),
            );
    handler.catch((error: unknown) => {
      if (!response.headersSent) sendException(response, new EcrException('ServerException', `ecr-double: ${String(error)}`));
      else response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  const port = await listenOnLoopback(server);
  state.baseUrl = `http://127.0.0.1:${port}`;

  return {
    endpoint: state.baseUrl,
    registryId: state.registryId,
    calls,
    blobDownloads,
    callsTo: (operation) => calls.filter((call) => call.operation === operation),
    createRepository: (name, repositoryOptions = {}) => {
      state.repositories.set(name, { tagMutability: repositoryOptions.tagMutability ?? 'MUTABLE' });
    },
    corruptManifest: (digest) => state.corruptManifests.add(digest),
    corruptBlob: (digest) => state.corruptBlobs.add(digest),
    failNext: (operation, exception, failOptions = {}) => {
      const queue = injected.get(operation) ?? [];
      for (let i = 0; i < (failOptions.times ?? 1); i += 1)
        queue.push({ exception, message: failOptions.message ?? `ecr-double: injected ${exception}` });
      injected.set(operation, queue);
    },
    setMaxPageSize: (size) => {
      state.maxPageSize = size;
    },
    clientConfig: () => ({
      endpoint: state.baseUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDECRDOUBLE', secretAccessKey: 'ecr-double-not-a-secret' },
    }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
