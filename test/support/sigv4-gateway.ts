import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import { listenOnLoopback } from '../../src/local/ports.ts';

/**
 * Stands in for API Gateway's AWS_IAM authorizer in front of the local stack: it checks each
 * request's SigV4 signature the way AWS does (recomputes it from the signed headers, the request
 * and the secret key it shares with the signer, and compares), refuses a bad or missing one with
 * 403, and relays a good one to the local API with the local bearer token.
 */
export interface SigV4Gateway {
  readonly url: string;
  /** Requests whose signature matched; those refused, with why. */
  readonly verified: string[];
  readonly refused: string[];
  stop(): Promise<void>;
}

export async function startSigV4Gateway(options: {
  credentials: AwsCredentialIdentity;
  region: string;
  upstream: string;
  upstreamToken: string;
}): Promise<SigV4Gateway> {
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
    applyChecksum: false,
  });
  const verified: string[] = [];
  const refused: string[] = [];
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await readAll(request);
      const problem = await verify(signer, request, body, options.credentials.accessKeyId);
      const label = `${request.method} ${request.url}`;
      if (problem !== undefined) {
        refused.push(`${label}: ${problem}`);
        response.writeHead(403, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: `Forbidden: ${problem}` }));
        return;
      }
      verified.push(label);
      const headers: Record<string, string> = { authorization: `Bearer ${options.upstreamToken}` };
      for (const name of ['accept', 'if-none-match', 'content-type']) {
        const value = request.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const upstream = await fetch(new URL(request.url ?? '/', options.upstream), {
        method: request.method ?? 'GET',
        headers,
        ...(body.length > 0 ? { body } : {}),
      });
      const out: Record<string, string> = {};
      for (const name of ['content-type', 'etag']) {
        const value = upstream.headers.get(name);
        if (value !== null) out[name] = value;
      }
      response.writeHead(upstream.status, out);
      response.end(Buffer.from(await upstream.arrayBuffer()));
    })().catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    verified,
    refused,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

/** Undefined when the signature is the one the shared secret gives; else why not. */
async function verify(signer: SignatureV4, request: IncomingMessage, body: Buffer, accessKeyId: string): Promise<string | undefined> {
  const match = AUTHORIZATION.exec(String(request.headers.authorization ?? ''));
  if (match === null) return 'no SigV4 Authorization header';
  const [, keyId, , region, service, signedHeaderList = '', signature] = match;
  if (keyId !== accessKeyId) return `unknown access key ${keyId}`;
  if (service !== 'execute-api') return `signed for service ${service}`;
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const when = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (when === null) return 'no x-amz-date';
  const signedNames = signedHeaderList.split(';');
  if (!signedNames.includes('host')) return 'the host header is not signed';
  const headers: Record<string, string> = {};
  for (const name of signedNames) {
    const value = request.headers[name];
    if (typeof value !== 'string') return `signed header ${name} is missing`;
    headers[name] = value;
  }
  const url = new URL(request.url ?? '/', `http://${headers.host}`);
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    query[key] = values.length === 1 ? (values[0] ?? '') : values;
  }
  const expected = await signer.sign(
    new HttpRequest({
      method: request.method ?? 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      headers,
      ...(body.length > 0 ? { body: body.toString('utf8') } : {}),
    }),
    {
      signingDate: new Date(
        Date.UTC(Number(when[1]), Number(when[2]) - 1, Number(when[3]), Number(when[4]), Number(when[5]), Number(when[6])),
      ),
      signingRegion: region,
    },
  );
  const computed = /Signature=([0-9a-f]{64})$/.exec(String(expected.headers.authorization))?.[1];
  return computed === signature ? undefined : 'signature does not match';
}

async function readAll(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
