import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { GlobalOptions } from './args.ts';
import { CliError, UsageError } from './cli-error.ts';
import { chooseAuth, DEFAULT_API_URL, isLoopbackHost, parseApiUrl } from './endpoint.ts';
import { BearerAuth, NoAuth, type RequestAuth } from './request-auth.ts';
import { SigV4Auth } from './sigv4-auth.ts';
import { Usages } from './usage.ts';

/** What deciding the connection may read: the environment, the working folder, credentials. */
export interface ConnectionContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** The standard AWS credential chain (`fromNodeProviderChain()`), created only when signing. */
  readonly credentials: () => AwsCredentialIdentityProvider;
  readonly readTextFile?: (path: string) => Promise<string | undefined>;
}

export interface Connection {
  readonly baseUrl: URL;
  readonly auth: RequestAuth;
  /** Said after a 401 or 403, so the user knows which credentials were refused (never the credentials themselves). */
  readonly authDescription: string;
}

export const TOKEN_FILE_NAME = 'api-token';

/**
 * Decides where the API is and how to authenticate: `--api`, else MANIFEST_ASSEMBLER_API, else the
 * local default; SigV4 for API Gateway hosts or `--sigv4`; else `--token`; else, for a loopback
 * URL only, the token file the local stack writes into its data folder (docs/cli.md); else nothing.
 */
export async function resolveConnection(global: GlobalOptions, context: ConnectionContext): Promise<Connection> {
  const apiText = global.api ?? nonEmpty(context.env.MANIFEST_ASSEMBLER_API) ?? DEFAULT_API_URL;
  let baseUrl: URL;
  let choice: ReturnType<typeof chooseAuth>;
  try {
    baseUrl = parseApiUrl(apiText);
    choice = chooseAuth({
      url: baseUrl,
      forceSigV4: global.sigv4,
      regionOption: global.region,
      envRegion: nonEmpty(context.env.AWS_REGION) ?? context.env.AWS_DEFAULT_REGION,
    });
  } catch (error) {
    throw new UsageError((error as Error).message, Usages.main);
  }
  if (choice.kind === 'sigv4') {
    return {
      baseUrl,
      auth: new SigV4Auth({ region: choice.region, credentials: context.credentials() }),
      authDescription: `SigV4-signed requests for ${choice.region} with the AWS credential chain`,
    };
  }
  if (global.token !== undefined) return { baseUrl, auth: new BearerAuth(global.token), authDescription: 'the token given with --token' };
  // The data folder's token belongs to the local stack: it is never sent to another host.
  if (!isLoopbackHost(baseUrl.hostname)) {
    return { baseUrl, auth: new NoAuth(), authDescription: 'no credentials (pass --token, or --sigv4 for an API behind IAM auth)' };
  }
  const tokenPath = resolve(context.cwd, nonEmpty(context.env.DATA_DIR) ?? '.local', TOKEN_FILE_NAME);
  const token = (await (context.readTextFile ?? readOptionalFile)(tokenPath))?.trim();
  if (token === undefined || token === '') {
    throw new CliError(
      `no API token: ${tokenPath} ${token === undefined ? 'does not exist' : 'is empty'}. The local stack writes it when it starts: ` +
        'run `npx manifest-assembler start` (or `npm start`) in another terminal, with the same DATA_DIR, or pass --token.',
    );
  }
  return { baseUrl, auth: new BearerAuth(token), authDescription: `the token in ${tokenPath}` };
}

async function readOptionalFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read the API token ${path}: ${(error as Error).message}`, { cause: error });
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
