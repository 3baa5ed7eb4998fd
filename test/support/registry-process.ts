import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderRegistryConfig } from '../../src/local/registry/registry-config.ts';
import {
  isRegistryInstalled,
  REGISTRY_BINARY,
  REGISTRY_INSTALL_COMMAND,
  REGISTRY_INSTANCE_HEADER,
  RegistryStartError,
  startRegistryProcess,
} from '../../src/local/registry/registry-process.ts';

/**
 * A real CNCF distribution registry for tests, started the way the local runner starts its own
 * (src/local: the same config renderer and process starter, so REGISTRY_* variables of the test
 * environment never reach it), with everything in a temporary folder.
 */

export interface StartRegistryOptions {
  /** Port on 127.0.0.1; a free one when left out. */
  readonly port?: number;
  /** Storage folder, kept on stop; a temporary one (removed on stop) when left out. */
  readonly dataDir?: string;
  readonly notificationUrl?: string;
  readonly notificationSecret?: string;
  /** htpasswd file content (bcrypt lines, e.g. from {@link ./htpasswd.ts}). */
  readonly htpasswd?: string;
  readonly tokenAuth?: { realm: string; service: string; issuer: string; certificatePem: string };
}

export interface RunningRegistry {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** The registry's process id (the bench reads its memory from /proc). */
  readonly pid: number;
  /** Kills the registry and removes its temporary files (and its storage, unless `dataDir` was given). */
  stop(): Promise<void>;
}

/**
 * Starts `docker-registry serve <generated config>` on 127.0.0.1 and waits until its own `/v2/`
 * answers (any status: with auth configured it answers 401). Throws with the install command when
 * the binary is missing, and with the end of the registry's log when it exits early.
 */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<RunningRegistry> {
  if (!isRegistryInstalled()) {
    throw new Error(`${REGISTRY_BINARY} is missing; install the CNCF distribution registry with: ${REGISTRY_INSTALL_COMMAND}`);
  }
  if ((options.notificationUrl === undefined) !== (options.notificationSecret === undefined)) {
    throw new Error('startRegistry: notificationUrl and notificationSecret go together');
  }
  const workDir = await mkdtemp(join(tmpdir(), 'registry-'));
  try {
    const dataDir = options.dataDir ?? join(workDir, 'data');
    await mkdir(dataDir, { recursive: true });
    let htpasswdPath: string | undefined;
    if (options.htpasswd !== undefined) {
      htpasswdPath = join(workDir, 'htpasswd');
      await writeFile(htpasswdPath, options.htpasswd);
    }
    let tokenAuth: { realm: string; service: string; issuer: string; rootCertBundlePath: string } | undefined;
    if (options.tokenAuth !== undefined) {
      const { certificatePem, ...rest } = options.tokenAuth;
      const rootCertBundlePath = join(workDir, 'token-root.pem');
      await writeFile(rootCertBundlePath, certificatePem);
      tokenAuth = { ...rest, rootCertBundlePath };
    }
    // A port found free can be taken before the registry binds it; try a few when we chose it.
    const attempts = options.port === undefined ? 3 : 1;
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await findFreePort());
      const url = `http://127.0.0.1:${port}`;
      const instanceId = randomUUID();
      const configPath = join(workDir, 'config.yml');
      await writeFile(
        configPath,
        renderRegistryConfig({
          addr: `127.0.0.1:${port}`,
          rootDirectory: dataDir,
          httpSecret: randomBytes(16).toString('hex'),
          notifications:
            options.notificationUrl !== undefined && options.notificationSecret !== undefined
              ? { url: options.notificationUrl, secret: options.notificationSecret }
              : undefined,
          htpasswdPath,
          tokenAuth,
          responseHeaders: { [REGISTRY_INSTANCE_HEADER]: instanceId },
        }),
      );
      let running: Awaited<ReturnType<typeof startRegistryProcess>>;
      try {
        // One log per attempt, so an error shows what this attempt's registry said.
        running = await startRegistryProcess({ configPath, logPath: join(workDir, `registry-${attempt}.log`), url, instanceId });
      } catch (error) {
        if (attempt < attempts && error instanceof RegistryStartError && /address already in use/.test(error.message)) continue;
        throw error;
      }
      const started = running;
      return {
        url,
        port,
        pid: started.pid,
        async stop() {
          await started.stop();
          await rm(workDir, { recursive: true, force: true });
        },
      };
    }
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A port that was free on 127.0.0.1 a moment ago, for a process the test starts later (a registry,
 * a runner). It is taken below the kernel's ephemeral range: a port from that range, once closed
 * again, can be handed by the kernel to any other socket before the test's process binds it (a
 * dynalite child listening on port 0, an outgoing connection), which failed a CI run with "port in
 * use". Each vitest worker hands out its own slice of the range, in turn, so two test files running
 * at once never pick the same port either.
 */
export async function findFreePort(): Promise<number> {
  for (let attempt = 0; attempt < PORTS_PER_WORKER; attempt++) {
    const port = nextCandidatePort();
    if (await isFreeOnLoopback(port)) return port;
  }
  throw new Error(`no free port on 127.0.0.1 in ${FIRST_PORT + workerSlice() * PORTS_PER_WORKER}..+${PORTS_PER_WORKER}`);
}

/** Below Linux's default ephemeral range (32768-60999) and above the well-known and common service ports. */
const FIRST_PORT = 20_000;
const PORTS_PER_WORKER = 500;
const WORKER_SLICES = 24;
let handedOut = 0;

/** This process's slice: the vitest worker's id when there is one (1, 2, ...), else the pid. */
function workerSlice(): number {
  const worker = Number(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? process.pid);
  return worker % WORKER_SLICES;
}

function nextCandidatePort(): number {
  const port = FIRST_PORT + workerSlice() * PORTS_PER_WORKER + (handedOut % PORTS_PER_WORKER);
  handedOut++;
  return port;
}

async function isFreeOnLoopback(port: number): Promise<boolean> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  } catch {
    return false;
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return true;
}
