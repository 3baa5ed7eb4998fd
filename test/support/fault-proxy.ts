import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { listenOnLoopback } from '../../src/local/ports.ts';

/**
 * A fault-injecting HTTP proxy in front of a real registry (node:http on 127.0.0.1, port 0).
 * Each request is classified by {@link classifyRegistryCall}; a rule for its kind decides, from a
 * seeded random source, whether this call fails and how. Everything else is forwarded untouched,
 * so what passes through is the real registry's behaviour.
 */

export const CallKinds = {
  getManifest: 'GET manifest',
  headManifest: 'HEAD manifest',
  getBlob: 'GET blob',
  putManifest: 'PUT manifest',
  tagsList: 'tags list',
  other: 'other',
} as const;
export type CallKind = (typeof CallKinds)[keyof typeof CallKinds];

export const FaultKinds = {
  /** 500 with a distribution error body. */
  serverError: '500',
  /** 429 TOOMANYREQUESTS with `Retry-After`. */
  throttled: '429',
  /** Never answers: the client's timeout must fire; the socket is destroyed once the client gives up. */
  hang: 'hang',
  /** The connection is cut before the request reaches the registry. */
  reset: 'reset',
  /** The registry gets (and for a PUT, stores) the request, then the connection is cut before the answer. */
  resetAfter: 'reset-after',
} as const;
export type FaultKind = (typeof FaultKinds)[keyof typeof FaultKinds];

export interface FaultRule {
  /** Chance per call of this kind, 0..1. */
  readonly probability: number;
  /** Faults to choose from, uniformly. */
  readonly faults: readonly FaultKind[];
  /** At most this many faults of this call kind in the proxy's life (keeps a run finite). */
  readonly maxFaults?: number;
}

export type FaultRules = Partial<Record<CallKind, FaultRule>>;

export interface FaultProxyOptions {
  /** The real registry, `http://127.0.0.1:PORT`. */
  readonly upstream: string;
  readonly rules?: FaultRules;
  readonly random: () => number;
  /** `Retry-After` seconds sent with a 429. Default 1. */
  readonly retryAfterSeconds?: number;
  /** How long a hung call is held at most before its socket is cut (the client should give up first). Default 10 s. */
  readonly hangLimitMs?: number;
}

export interface ProxiedCall {
  readonly kind: CallKind;
  readonly method: string;
  readonly path: string;
  readonly fault: FaultKind | undefined;
  /** The registry's status, when the call reached it and it answered. */
  readonly upstreamStatus: number | undefined;
  /** `Docker-Content-Digest` of the registry's answer (for a PUT: the digest it stored). */
  readonly digest: string | undefined;
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT` of the proxy. */
  readonly url: string;
  /** Every call in order of arrival (filled in when it ends). */
  readonly calls: readonly ProxiedCall[];
  /** Replaces the rules (e.g. `{}` to switch faults off for a clean reconcile pass). */
  setRules(rules: FaultRules): void;
  /** Faults injected so far, by `"<call kind> <fault>"`. */
  faultCounts(): Record<string, number>;
  close(): Promise<void>;
}

/** What an OCI distribution request is, from its method and path. */
export function classifyRegistryCall(method: string, path: string): CallKind {
  const pathname = path.split('?')[0] ?? '';
  if (/\/tags\/list$/.test(pathname)) return CallKinds.tagsList;
  if (/\/manifests\/[^/]+$/.test(pathname)) {
    if (method === 'GET') return CallKinds.getManifest;
    if (method === 'HEAD') return CallKinds.headManifest;
    if (method === 'PUT') return CallKinds.putManifest;
  }
  if (method === 'GET' && /\/blobs\/sha256:[a-f0-9]+$/.test(pathname)) return CallKinds.getBlob;
  return CallKinds.other;
}

/** Starts the proxy; close it when done (it cuts every open connection). */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream);
  let rules: FaultRules = options.rules ?? {};
  const calls: ProxiedCall[] = [];
  const injected = new Map<CallKind, number>();
  const counts: Record<string, number> = {};
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const hangLimitMs = options.hangLimitMs ?? 10_000;

  const chooseFault = (kind: CallKind): FaultKind | undefined => {
    const rule = rules[kind];
    if (rule === undefined || rule.faults.length === 0) return undefined;
    // Both draws are always taken, so the sequence of draws does not depend on which rules are on.
    const roll = options.random();
    const pick = options.random();
    if (roll >= rule.probability) return undefined;
    if ((injected.get(kind) ?? 0) >= (rule.maxFaults ?? Number.POSITIVE_INFINITY)) return undefined;
    const fault = rule.faults[Math.min(rule.faults.length - 1, Math.floor(pick * rule.faults.length))];
    if (fault === undefined) return undefined;
    injected.set(kind, (injected.get(kind) ?? 0) + 1);
    counts[`${kind} ${fault}`] = (counts[`${kind} ${fault}`] ?? 0) + 1;
    return fault;
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const kind = classifyRegistryCall(method, path);
    const fault = chooseFault(kind);
    const done = (upstreamStatus?: number, digest?: string): void => {
      calls.push({ kind, method, path, fault, upstreamStatus, digest });
    };

    if (fault === FaultKinds.serverError || fault === FaultKinds.throttled) {
      req.resume();
      const throttled = fault === FaultKinds.throttled;
      const body = JSON.stringify({ errors: [{ code: throttled ? 'TOOMANYREQUESTS' : 'UNKNOWN', message: `injected ${fault}` }] });
      res.writeHead(throttled ? 429 : 500, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        ...(throttled ? { 'retry-after': String(options.retryAfterSeconds ?? 1) } : {}),
      });
      res.end(method === 'HEAD' ? undefined : body);
      done();
      return;
    }
    if (fault === FaultKinds.reset) {
      req.socket.destroy();
      done();
      return;
    }
    if (fault === FaultKinds.hang) {
      req.resume();
      const timer = setTimeout(() => {
        timers.delete(timer);
        req.socket.destroy();
      }, hangLimitMs);
      timers.add(timer);
      req.socket.once('close', () => {
        clearTimeout(timer);
        timers.delete(timer);
      });
      done();
      return;
    }

    const forwarded = httpRequest(
      { host: upstream.hostname, port: upstream.port, method, path, headers: { ...req.headers, host: upstream.host } },
      (upstreamRes) => {
        const digest = upstreamRes.headers['docker-content-digest'];
        const digestText = typeof digest === 'string' ? digest : undefined;
        if (fault === FaultKinds.resetAfter) {
          upstreamRes.resume();
          upstreamRes.once('end', () => {
            req.socket.destroy();
            done(upstreamRes.statusCode, digestText);
          });
          return;
        }
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
        upstreamRes.once('end', () => done(upstreamRes.statusCode, digestText));
      },
    );
    forwarded.on('error', () => {
      // The registry went away mid-call: the client sees a cut connection, as it would without us.
      req.socket.destroy();
      done();
    });
    req.pipe(forwarded);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // A client that gave up mid-request makes the server see a broken socket; that is expected here.
  server.on('clientError', (_error, socket) => socket.destroy());

  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    setRules(next) {
      rules = next;
    },
    faultCounts: () => ({ ...counts }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
