import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { DoubleState } from './state.ts';

export const BLOB_DOWNLOAD_PATH = '/blob-download/';

/** One GET of a "pre-signed" URL, as the double saw it. */
export interface BlobDownloadRecord {
  readonly repository: string;
  readonly digest: string;
  /** The Authorization header sent, if any (there should never be one). */
  readonly authorization: string | undefined;
  readonly status: number;
}

function s3Error(response: ServerResponse, status: number, code: string, message: string): void {
  response.writeHead(status, { 'content-type': 'application/xml' });
  response.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

/**
 * Serves `/blob-download/<repository>/<digest>?X-Amz-Signature=…` like S3 serves a pre-signed URL:
 * a request that also carries an `Authorization` header is refused, as S3 refuses it (400
 * InvalidArgument "Only one auth mechanism allowed"), which proves the adapter forwards no credentials.
 */
export async function serveBlobDownload(
  state: DoubleState,
  request: IncomingMessage,
  response: ServerResponse,
  record: (entry: BlobDownloadRecord) => void,
): Promise<void> {
  const url = new URL(request.url ?? '/', state.baseUrl);
  const path = url.pathname.slice(BLOB_DOWNLOAD_PATH.length);
  const slash = path.lastIndexOf('/');
  const repository = path.slice(0, slash);
  const digest = path.slice(slash + 1);
  const authorization = request.headers.authorization;
  const done = (status: number) => record({ repository, digest, authorization, status });

  if (authorization !== undefined) {
    done(400);
    return s3Error(
      response,
      400,
      'InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
    );
  }
  if (request.method !== 'GET' || url.searchParams.get('X-Amz-Signature') === null) {
    done(403);
    return s3Error(response, 403, 'AccessDenied', 'Query-string authentication requires the Signature parameter');
  }
  const upstream = await state.registry.getBlob(repository, digest);
  if (!upstream.ok || upstream.body === null) {
    await upstream.body?.cancel();
    done(404);
    return s3Error(response, 404, 'NoSuchKey', 'The specified key does not exist.');
  }
  done(200);
  if (state.corruptBlobs.has(digest)) {
    const bytes = Buffer.from(await upstream.arrayBuffer());
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
    response.end(bytes);
    return;
  }
  const length = upstream.headers.get('content-length');
  response.writeHead(200, { 'content-type': 'application/octet-stream', ...(length === null ? {} : { 'content-length': length }) });
  Readable.fromWeb(upstream.body as WebReadableStream<Uint8Array>).pipe(response);
}
