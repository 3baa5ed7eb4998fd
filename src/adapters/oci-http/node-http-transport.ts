import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { type HttpTransport, type TransportRequest, type TransportResponse, TransportTimeoutError } from './transport.ts';

export interface NodeHttpTransportOptions {
  /** Kept connections idle this long are closed. Default 4 s, undici's default. */
  readonly idleTimeoutMs?: number;
  /** CA certificates (PEM) to trust for https registries instead of Node's own (NODE_EXTRA_CA_CERTS adds to those). */
  readonly ca?: string | Buffer | undefined;
}

/** A body no longer than this (declared) is still read on cancel, so that its connection is kept. */
const DRAIN_LIMIT = 64 * 1024;
const DEFAULT_HEADERS = { 'user-agent': 'manifest-assembler', accept: '*/*' } as const;

/**
 * {@link HttpTransport} over `node:http` and `node:https`, with a keep-alive agent of its own for
 * each, so consecutive registry requests share a connection.
 *
 * Not the global `fetch`: Node 20's undici builds WHATWG streams and responses for every request,
 * 1.4–3 ms of CPU per registry call against 0.5–1.6 ms here, and it sends `connection: close` after
 * every `HEAD`, so the request after each look at a tag reconnected (docs/performance.md, "The
 * registry client over `node:http`").
 */
export class NodeHttpTransport implements HttpTransport {
  readonly #options: NodeHttpTransportOptions;
  readonly #http: HttpAgent;
  #https: HttpsAgent | undefined;

  constructor(options: NodeHttpTransportOptions = {}) {
    this.#options = options;
    this.#http = new HttpAgent(this.#agentOptions());
  }

  send(request: TransportRequest): Promise<TransportResponse> {
    const { url, method, timeoutMs, body } = request;
    const secure = url.protocol === 'https:';
    const headers: Record<string, string> = { ...DEFAULT_HEADERS, ...request.headers };
    if (body !== undefined) headers['content-length'] = String(body.byteLength);
    return new Promise((resolve, reject) => {
      let response: IncomingMessage | undefined;
      const req = (secure ? httpsRequest : httpRequest)(url, { method, headers, agent: secure ? this.#httpsAgent() : this.#http });
      // One timer for the whole exchange: before the answer's head it cuts the request, after it the body.
      const timer = setTimeout(() => {
        const error = new TransportTimeoutError(timeoutMs);
        if (response === undefined) req.destroy(error);
        else response.destroy(error);
      }, timeoutMs);
      timer.unref();
      req.on('error', (error) => {
        // After the head, a broken connection also destroys the response, whose reader sees it.
        if (response !== undefined) return;
        clearTimeout(timer);
        reject(error);
      });
      req.once('response', (res: IncomingMessage) => {
        response = res;
        const done = (): void => clearTimeout(timer);
        res.once('end', done);
        res.once('close', done);
        // Errors reach whoever iterates the body; one nobody reads must not go unhandled.
        res.on('error', ignore);
        resolve(new NodeHttpResponse(res, method === 'HEAD'));
      });
      req.end(body);
    });
  }

  close(): void {
    this.#http.destroy();
    this.#https?.destroy();
  }

  #httpsAgent(): HttpsAgent {
    this.#https ??= new HttpsAgent({ ...this.#agentOptions(), ...(this.#options.ca === undefined ? {} : { ca: this.#options.ca }) });
    return this.#https;
  }

  /** What both agents share: kept connections, closed after the idle timeout, without Nagle's delay. */
  #agentOptions(): { keepAlive: true; timeout: number; noDelay: true } {
    return { keepAlive: true, timeout: this.#options.idleTimeoutMs ?? 4_000, noDelay: true };
  }
}

class NodeHttpResponse implements TransportResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  readonly body: IncomingMessage;
  readonly #bodiless: boolean;

  constructor(res: IncomingMessage, head: boolean) {
    this.status = res.statusCode ?? 0;
    this.ok = this.status >= 200 && this.status < 300;
    this.body = res;
    this.headers = {
      get: (name) => {
        const value = res.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    };
    this.#bodiless = head || this.status === 204 || this.status === 304;
  }

  async cancel(): Promise<void> {
    const res = this.body;
    if (res.destroyed) return;
    if (this.#bodiless || res.complete) {
      // All of it is here: read out, the connection is free again (for the request that waits for this).
      const closed = new Promise((resolve) => res.once('close', resolve));
      res.resume();
      await closed;
    } else if (Number(res.headers['content-length']) <= DRAIN_LIMIT) {
      res.resume();
    } else {
      res.destroy();
    }
  }
}

function ignore(): void {}
