import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { listenOnLoopback } from '../../src/local/ports.ts';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The status this receiver answered with. */
  readonly status: number;
}

/**
 * A real HTTP receiver on 127.0.0.1, as a user would write one: it keeps every request, and answers
 * with the next status of `statuses` (then 204 for ever). `secretFor` gives the key to check the
 * signature header with (read lazily: the runner creates the secret at its first start).
 */
export class EventReceiver {
  readonly requests: ReceivedRequest[] = [];
  readonly #server: Server;
  readonly #statuses: number[];
  url = '';

  constructor(statuses: number[] = []) {
    this.#statuses = [...statuses];
    this.#server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const status = this.#statuses.shift() ?? 204;
        this.requests.push({
          method: request.method ?? '',
          path: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          status,
        });
        response.writeHead(status).end();
      });
    });
  }

  /** Listens on 127.0.0.1:`port` (0: any free port). */
  async start(path = '/events', port = 0): Promise<this> {
    port = await listenOnLoopback(this.#server, port);
    this.url = `http://127.0.0.1:${port}${path}`;
    return this;
  }

  /** Makes the next `count` requests fail with `status`. */
  failNext(count: number, status = 503): void {
    this.#statuses.unshift(...Array.from({ length: count }, () => status));
  }

  /** The requests answered with a 2xx. */
  accepted(): ReceivedRequest[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300);
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Checks a signature header the way docs/events.md tells receivers to (constant-time compare). */
export function hasValidSignature(request: ReceivedRequest, secret: string): boolean {
  const header = request.headers['x-manifest-assembler-signature'];
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', secret).update(request.body, 'utf8').digest();
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
