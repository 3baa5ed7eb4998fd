import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The service prefix of ECR's `X-Amz-Target` header. */
export const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

/**
 * An ECR error as the AWS JSON 1.1 protocol carries it: `{"__type": name, "message": …}`, HTTP 400
 * (500 for server faults). The SDK turns `__type` into its exception class of that name.
 */
export class EcrException extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = type === 'ServerException' ? 500 : 400,
  ) {
    super(message);
    this.name = type;
  }
}

export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  response.writeHead(status, { 'content-type': CONTENT_TYPE, 'content-length': bytes.length, 'x-amzn-requestid': randomUUID() });
  response.end(bytes);
}

export function sendException(response: ServerResponse, error: EcrException): void {
  sendJson(response, error.status, { __type: error.type, message: error.message });
}
