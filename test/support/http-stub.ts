import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** A request as a stub server saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
}

export interface HttpStub {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

/**
 * A tiny HTTP server on 127.0.0.1 for behaviour a real registry will not show (lying bytes, huge
 * bodies, resets, redirects to storage). Records every request; `close` also drops open connections.
 */
export async function startHttpStub(handler: (request: IncomingMessage, response: ServerResponse) => unknown): Promise<HttpStub> {
  const requests: SeenRequest[] = [];
  const server = createServer((request, response) => {
    requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
    Promise.resolve(handler(request, response)).catch((error: unknown) => {
      response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
