import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderRegistryConfig } from '../../src/local/registry-config.ts';

/** The registry binary of Debian's `docker-registry` package (CNCF distribution 2.8). */
export const REGISTRY_BINARY = '/usr/bin/docker-registry';
export const REGISTRY_INSTALL_COMMAND = 'apt-get install -y --no-install-recommends docker-registry';

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
  /** Kills the registry and removes its temporary files (and its storage, unless `dataDir` was given). */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;

/**
 * Starts `/usr/bin/docker-registry serve <generated config>` on 127.0.0.1 and waits until `/v2/`
 * answers (any status: with auth configured it answers 401). Throws with the install command when the
 * binary is missing, and with the registry's output when it exits early.
 */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<RunningRegistry> {
  if (!existsSync(REGISTRY_BINARY)) {
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
    let tokenAuth;
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
      const instance = randomUUID();
      const config = renderRegistryConfig({
        responseHeaders: { [INSTANCE_HEADER]: instance },
        addr: `127.0.0.1:${port}`,
        rootDirectory: dataDir,
        httpSecret: randomBytes(16).toString('hex'),
        notifications:
          options.notificationUrl !== undefined && options.notificationSecret !== undefined
            ? { url: options.notificationUrl, secret: options.notificationSecret }
            : undefined,
        htpasswdPath,
        tokenAuth,
      });
      const configPath = join(workDir, 'config.yml');
      await writeFile(configPath, config);
      const child = spawn(REGISTRY_BINARY, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
      const output = collectOutput(child);
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitUntilReady(url, instance, child, output);
      } catch (error) {
        await killProcess(child);
        if (attempt < attempts && /address already in use/.test(output.text())) continue;
        throw error;
      }
      return {
        url,
        port,
        async stop() {
          await killProcess(child);
          await rm(workDir, { recursive: true, force: true });
        },
      };
    }
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
}

/** A port that was free on 127.0.0.1 a moment ago. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Output {
  text(): string;
}

/** Keeps the last 16 KiB of the registry's output, to explain a failed start. */
function collectOutput(child: ChildProcess): Output {
  let text = '';
  const append = (chunk: Buffer): void => {
    text = (text + chunk.toString('utf8')).slice(-16_384);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return { text: () => text };
}

/** Sent by our registry on every response, so that another process on the port is not taken for it. */
const INSTANCE_HEADER = 'X-Registry-Instance';

async function waitUntilReady(url: string, instance: string, child: ChildProcess, output: Output): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`docker-registry exited (${child.exitCode ?? child.signalCode}) before answering:\n${output.text()}`);
    }
    try {
      const response = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      if (response.headers.get(INSTANCE_HEADER) === instance) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`docker-registry did not answer on ${url}/v2/ within ${READY_TIMEOUT_MS} ms:\n${output.text()}`);
}

async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
