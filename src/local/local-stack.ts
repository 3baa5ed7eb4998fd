import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { dirname, join } from 'node:path';
import { describeError } from '../core/errors.ts';
import type { Logger } from '../core/ports.ts';
import { formatBanner, formatExternalRegistryHint } from './banner.ts';
import { startDynaliteProcess } from './dynalite/dynalite-process.ts';
import type { ApiInvoker } from './http/api-gateway-event.ts';
import { createLocalHttpServer, REGISTRY_HOOK_PATH } from './http/http-server.ts';
import { type InboxStore, RegistryInbox, type RegistryInboxOptions } from './inbox/registry-inbox.ts';
import type { LocalSettings } from './local-settings.ts';
import { assertPortFree, listenOrExplain, PortInUseError, waitUntilPortFree } from './ports.ts';
import { type ReconcileInvoker, startReconcileTimer } from './reconcile-timer.ts';
import { renderRegistryConfig } from './registry/registry-config.ts';
import type { EcrImageActionEvent } from './registry/registry-events.ts';
import { removeRegistryPidFile, stopOrphanedRegistry, writeRegistryPidFile } from './registry/registry-orphan.ts';
import {
  isRegistryInstalled,
  REGISTRY_BINARY,
  REGISTRY_INSTALL_COMMAND,
  REGISTRY_INSTANCE_HEADER,
  RegistryStartError,
  type RunningRegistryProcess,
  startRegistryProcess,
} from './registry/registry-process.ts';
import type { ImagePushInvoker } from './registry/registry-webhook.ts';
import { ensurePrivateFolder, loadOrCreateSecret, narrowFile, writeSecretFile } from './secret-file.ts';

/** Where the handlers' adapters should point, once dynalite and the registry are known. */
export interface StackEndpoints {
  readonly registryUrl: string;
  readonly dynamoEndpoint: string;
  /** The data folder (DATA_DIR): the inbox journal lives in its `inbox/` folder. */
  readonly dataDir: string;
  readonly logger: Logger;
  /** Where outcome events are POSTed (NOTIFY_URL) and the key they are signed with (notify-secret). */
  readonly notify: { readonly urls: readonly string[]; readonly secret: string };
}

/** The Lambda handlers, as the HTTP server and the reconcile timer call them; plus whatever must be released on stop. */
export interface StackHandlers {
  readonly onImagePush: ImagePushInvoker;
  /**
   * Where the webhook records pushes, and the lane (version) of a push. With it the webhook answers
   * once a push is recorded and a worker pool runs `onImagePush`; without it the webhook runs
   * `onImagePush` before answering.
   */
  readonly inbox?: {
    readonly store: InboxStore;
    readonly laneOf: (event: EcrImageActionEvent) => Promise<string>;
    /** See {@link RegistryInboxOptions.isOwnPut}. */
    readonly isOwnPut?: (event: EcrImageActionEvent) => boolean;
    /** See {@link RegistryInboxOptions.readAhead}. */
    readonly readAhead?: (event: EcrImageActionEvent) => void;
  };
  readonly api: ApiInvoker;
  /** One reconcile pass; without it no reconcile timer runs. */
  readonly reconcile?: ReconcileInvoker;
  /** What `GET /metrics` answers (Prometheus text); without it the route is 404. */
  readonly metricsText?: () => string;
  readonly close?: () => void | Promise<void>;
}

export interface LocalStackOptions {
  readonly settings: LocalSettings;
  readonly logger: Logger;
  /** Builds the handlers (the composition root); injected so the runner can be tested without them. */
  readonly wire: (endpoints: StackEndpoints) => StackHandlers | Promise<StackHandlers>;
  /** Receives the start-up message (stdout in the CLI). */
  readonly print: (text: string) => void;
  /** Only to show paths relative to it. */
  readonly cwd: string;
  readonly startedAt?: number;
  /** Called when the registry this stack started exits on its own (not through stop). */
  readonly onRegistryExit?: (how: string) => void;
  /** Called when dynalite's child process exits on its own (not through stop): the handlers lost DynamoDB. */
  readonly onDynaliteExit?: (how: string) => void;
  /** The docker-registry binary; tests point it elsewhere. */
  readonly registryBinary?: string;
  /** Delay before the first reconcile pass (see {@link startReconcileTimer}). */
  readonly firstReconcileDelayMs?: number;
}

/** A running local stack. */
export interface LocalStack {
  /** `http://127.0.0.1:<API_PORT>` (the API is under /v1). */
  readonly apiUrl: string;
  readonly registryUrl: string;
  readonly dynamoEndpoint: string;
  readonly token: string;
  readonly dataDir: string;
  /** Pid of the registry this stack started; undefined with REGISTRY_URL. */
  readonly registryPid: number | undefined;
  /** Pid of dynalite's child process. */
  readonly dynalitePid: number;
  /** Milliseconds from the start call until everything answered. */
  readonly readyMs: number;
  /**
   * Stops the reconcile timer (waiting for a pass in progress, which needs the rest), then the
   * registry, the HTTP server and dynalite; safe to call twice.
   */
  stop(): Promise<void>;
}

/** The local stack could not start; the message says what to do. */
export class LocalStackError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalStackError';
  }
}

/** Where the local stack keeps its state inside DATA_DIR. */
type StackPaths = ReturnType<typeof stackPaths>;

function stackPaths(dataDir: string) {
  return {
    token: join(dataDir, 'api-token'),
    secret: join(dataDir, 'registry-secret'),
    notifySecret: join(dataDir, 'notify-secret'),
    dynamo: join(dataDir, 'dynamodb'),
    registryData: join(dataDir, 'registry', 'data'),
    registryConfig: join(dataDir, 'registry', 'config.yml'),
    registryLog: join(dataDir, 'registry', 'registry.log'),
    registryPid: join(dataDir, 'registry', 'registry.pid'),
  } as const;
}

/**
 * What a start checks and loads before anything listens: the registry's files narrowed to the owner,
 * the API token and the two secrets (created at the first start), a registry a killed runner left
 * running stopped, and the ports free (so a taken port fails fast and names its variable).
 */
async function prepareStart(parts: {
  paths: StackPaths;
  settings: LocalSettings;
  registryBinary: string;
  logger: Logger;
}): Promise<{ token: string; secret: string; notifySecret: string }> {
  const { paths, settings, registryBinary, logger } = parts;
  const ownRegistry = settings.externalRegistryUrl === undefined;
  await narrowFile(paths.registryConfig);
  await narrowFile(paths.registryLog);
  const token = await loadOrCreateSecret(paths.token);
  const secret = await loadOrCreateSecret(paths.secret);
  const notifySecret = await loadOrCreateSecret(paths.notifySecret);
  if (ownRegistry) {
    // A runner killed with SIGKILL left its registry running on this folder (and its port): stop it.
    const orphan = await stopOrphanedRegistry({ pidFile: paths.registryPid, configPath: paths.registryConfig, binary: registryBinary });
    if (orphan.kind === 'stopped') {
      logger.warn(
        `local stack: stopped the docker-registry (pid ${orphan.pid}, ${orphan.how}) that a killed runner left running on this data folder`,
      );
      // Its port may outlive it for a moment (ports.ts); the check below says so if it stays taken.
      await waitUntilPortFree(settings.registryPort, ORPHAN_PORT_RELEASE_MS);
    }
  }
  await assertPortFree(settings.apiPort, 'API and registry webhook', 'API_PORT');
  if (ownRegistry) await assertPortFree(settings.registryPort, 'registry', 'REGISTRY_PORT');
  return { token, secret, notifySecret };
}

/**
 * Starts dynalite (a child process), the HTTP server around the handlers and (unless REGISTRY_URL
 * is set) the registry, in that order so the webhook answers before the first notification can arrive; then
 * the reconcile timer (unless RECONCILE_INTERVAL is 0). Whatever started is stopped again when a
 * later step fails.
 */
export async function startLocalStackWith(options: LocalStackOptions): Promise<LocalStack> {
  const { settings, logger } = options;
  const startedAt = options.startedAt ?? performance.now();
  const { dataDir, apiPort, registryPort, externalRegistryUrl } = settings;
  const ownRegistry = externalRegistryUrl === undefined;
  const registryBinary = options.registryBinary ?? REGISTRY_BINARY;
  if (ownRegistry && !isRegistryInstalled(registryBinary)) {
    throw new LocalStackError(`${registryBinary} is missing. Install the CNCF distribution registry with:\n  ${REGISTRY_INSTALL_COMMAND}`);
  }
  const paths = stackPaths(dataDir);
  // Owner-only on every start, not only when created: the folder holds the token and the secret.
  // Below these, 0700 folders already keep everyone else out (docker-registry and LevelDB create
  // theirs 0755 and their files 0644).
  for (const folder of [dataDir, paths.dynamo, ...(ownRegistry ? [dirname(paths.registryConfig), paths.registryData] : [])]) {
    await ensurePrivateFolder(folder);
  }
  // dynalite's process boots (node, then dynalite's modules: the longest part of a start) while the
  // rest is checked; a failed check stops it again.
  const dynaliteStarting = startDynaliteProcess(paths.dynamo);
  dynaliteStarting.catch(() => undefined); // awaited below, where a failure is reported
  const { token, secret, notifySecret } = await prepareStart({ paths, settings, registryBinary, logger }).catch(async (error: unknown) => {
    await dynaliteStarting.then((dynalite) => dynalite.stop()).catch(() => undefined);
    throw error;
  });

  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) {
      await stop().catch((error: unknown) => logger.error('local stack: a part failed to stop', { error: describeError(error) }));
    }
  };
  try {
    const dynalite = await dynaliteStarting;
    stops.push(dynalite.stop);
    const registryUrl = externalRegistryUrl ?? `http://127.0.0.1:${registryPort}`;
    const handlers = await options.wire({
      registryUrl,
      dynamoEndpoint: dynalite.endpoint,
      dataDir,
      logger,
      notify: { urls: settings.notifyUrls, secret: notifySecret },
    });
    if (handlers.close) stops.push(async () => handlers.close?.());

    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const webhookUrl = `${apiUrl}${REGISTRY_HOOK_PATH}`;
    // Handler calls are tracked so stop() can wait for them: one still running when dynalite stops
    // would fail its DynamoDB requests half-way through a push.
    const inFlight = new InFlight();
    const inbox =
      handlers.inbox === undefined
        ? undefined
        : new RegistryInbox({
            store: handlers.inbox.store,
            laneOf: handlers.inbox.laneOf,
            ...(handlers.inbox.isOwnPut === undefined ? {} : { isOwnPut: handlers.inbox.isOwnPut }),
            ...(handlers.inbox.readAhead === undefined ? {} : { readAhead: handlers.inbox.readAhead }),
            handle: inFlight.track(handlers.onImagePush),
            concurrency: settings.inboxConcurrency,
            logger,
          });
    // Runs after the server stopped taking requests: the inbox starts no more pushes (what is left
    // stays recorded for the next start), and the calls in progress get a moment to finish.
    stops.push(async () => {
      void inbox?.stop();
      if (!(await inFlight.drain(HANDLER_DRAIN_MS))) {
        logger.warn(`local stack: ${inFlight.size} handler call(s) still running after ${HANDLER_DRAIN_MS} ms; stopping anyway`);
      }
    });
    // Before the webhook answers: what a killed runner recorded is queued ahead of anything new.
    await inbox?.start();
    const metricsText = handlers.metricsText;
    const server = createLocalHttpServer({
      apiToken: token,
      webhookSecret: secret,
      onImagePush: inFlight.track(handlers.onImagePush),
      ...(inbox === undefined ? {} : { inbox }),
      api: inFlight.track(handlers.api),
      logger,
      tokenHint: paths.token,
      ...(metricsText === undefined ? {} : { metricsText: () => metricsText() + (inbox?.metricsText() ?? '') }),
    });
    await listenOrExplain(server, apiPort, 'API and registry webhook', 'API_PORT');
    stops.push(() => closeServer(server));

    let registry: RunningRegistryProcess | undefined;
    if (ownRegistry) {
      // Recognises our registry, not another process that took the port after the check.
      const instanceId = randomUUID();
      await writeSecretFile(
        paths.registryConfig,
        renderRegistryConfig({
          addr: `127.0.0.1:${registryPort}`,
          rootDirectory: paths.registryData,
          httpSecret: randomBytes(16).toString('hex'),
          notifications: { url: webhookUrl, secret },
          responseHeaders: { [REGISTRY_INSTANCE_HEADER]: instanceId },
        }),
      );
      try {
        registry = await startRegistryProcess({
          configPath: paths.registryConfig,
          logPath: paths.registryLog,
          url: registryUrl,
          binary: registryBinary,
          instanceId,
          onSpawn: (pid) => writeRegistryPidFile(paths.registryPid, { registryPid: pid, runnerPid: process.pid }),
        });
      } catch (error) {
        // Taken between our check and its bind: say so the same way as the check does.
        if (error instanceof RegistryStartError && /address already in use/.test(error.message)) {
          throw new PortInUseError(registryPort, 'registry', 'REGISTRY_PORT');
        }
        throw error;
      }
      const started = registry;
      stops.push(async () => {
        await started.stop();
        await removeRegistryPidFile(paths.registryPid);
      });
    } else {
      options.print(formatExternalRegistryHint(webhookUrl, paths.secret, options.cwd));
    }

    const readyMs = performance.now() - startedAt;
    options.print(
      formatBanner({
        apiUrl,
        webhookUrl,
        registryUrl,
        registryFiles: ownRegistry ? { storage: paths.registryData, log: paths.registryLog } : undefined,
        dynamoEndpoint: dynalite.endpoint,
        dynamoPath: paths.dynamo,
        tokenPath: paths.token,
        secretPath: paths.secret,
        notify: { urls: settings.notifyUrls, secretPath: paths.notifySecret },
        reconcileIntervalMs: handlers.reconcile === undefined ? 0 : settings.reconcileIntervalMs,
        readyMs,
        cwd: options.cwd,
      }),
    );
    if (handlers.reconcile !== undefined && settings.reconcileIntervalMs > 0) {
      const timer = startReconcileTimer({
        intervalMs: settings.reconcileIntervalMs,
        pass: handlers.reconcile,
        logger,
        ...(options.firstReconcileDelayMs === undefined ? {} : { firstDelayMs: options.firstReconcileDelayMs }),
      });
      // Last in, so first out: the pass in progress still has the registry and dynalite.
      stops.push(() => timer.stop());
    }
    let stopping: Promise<void> | undefined;
    void registry?.exited.then((how) => {
      if (stopping !== undefined) return;
      logger.error(`local stack: docker-registry exited on its own (${how}); see ${paths.registryLog}`);
      options.onRegistryExit?.(how);
    });
    void dynalite.exited.then((how) => {
      if (stopping !== undefined) return;
      logger.error(`local stack: dynalite (pid ${dynalite.pid}) exited on its own (${how})`);
      options.onDynaliteExit?.(how);
    });
    return {
      apiUrl,
      registryUrl,
      dynamoEndpoint: dynalite.endpoint,
      token,
      dataDir,
      registryPid: registry?.pid,
      dynalitePid: dynalite.pid,
      readyMs,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Stops accepting connections, lets requests in flight finish for a moment, then cuts the rest. */
async function closeServer(server: Server, graceMs = 3_000): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}

/** How long stop() waits for handler calls still running (a publish may wait for another's lease). */
const HANDLER_DRAIN_MS = 15_000;
/** How long a stopped orphan registry's port is waited for before the start says it is taken. */
const ORPHAN_PORT_RELEASE_MS = 5_000;

/** The handler calls in progress, so that stopping can wait for them. */
class InFlight {
  readonly #calls = new Set<Promise<unknown>>();

  get size(): number {
    return this.#calls.size;
  }

  track<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return (...args) => {
      const call = fn(...args);
      this.#calls.add(call);
      const forget = () => this.#calls.delete(call);
      call.then(forget, forget);
      return call;
    };
  }

  /** True when every call ended within `timeoutMs`. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#calls.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.#calls]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        }),
      ]);
      clearTimeout(timer);
    }
    return this.#calls.size === 0;
  }
}
