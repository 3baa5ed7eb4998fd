import type { HttpRequest } from '@smithy/protocol-http';
import type { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { CliError } from './cli-error.ts';
import type { OutgoingRequest, RequestAuth } from './request-auth.ts';

export interface SigV4AuthOptions {
  readonly region: string;
  /** Fixed credentials, or a provider such as `fromNodeProviderChain()`. */
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** `execute-api` for API Gateway; the AWS test suite uses `service`. */
  readonly service?: string;
  /** The signing time; tests fix it, everyone else signs with the clock. */
  readonly now?: () => Date;
}

/**
 * Signs each request with AWS Signature Version 4, using the AWS SDK's own signer, as API Gateway's
 * `AWS_IAM` authorizer requires.
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
export class SigV4Auth implements RequestAuth {
  readonly #options: SigV4AuthOptions;
  readonly #now: () => Date;
  #modules: Promise<SignerModules> | undefined;

  constructor(options: SigV4AuthOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * The signer's packages, loaded on the first request: they cost a CLI run against the local API
   * (which never signs) about a third of its start-up time.
   */
  async #load(): Promise<SignerModules> {
    this.#modules ??= Promise.all([import('@aws-crypto/sha256-js'), import('@smithy/protocol-http'), import('@smithy/signature-v4')]).then(
      ([{ Sha256 }, { HttpRequest }, { SignatureV4 }]) => ({
        HttpRequest,
        signer: new SignatureV4({
          service: this.#options.service ?? 'execute-api',
          region: this.#options.region,
          credentials: this.#options.credentials,
          sha256: Sha256,
          // API Gateway does not want x-amz-content-sha256 (only S3 and Glacier do): the payload hash is signed anyway.
          applyChecksum: false,
        }),
      }),
    );
    return this.#modules;
  }

  async authorize(request: OutgoingRequest): Promise<Record<string, string>> {
    const { signer, HttpRequest } = await this.#load();
    const { url } = request;
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const values = url.searchParams.getAll(key);
      query[key] = values.length === 1 ? (values[0] ?? '') : values;
    }
    const unsigned = new HttpRequest({
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query,
      // The Host header must be signed, and fetch sends exactly url.host (with the port when not the default).
      headers: { ...request.headers, host: url.host },
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    let signed: HttpRequest;
    try {
      signed = (await signer.sign(unsigned, { signingDate: this.#now() })) as HttpRequest;
    } catch (error) {
      // Mostly the credential chain finding nothing; its message lists where it looked.
      throw new CliError(`cannot sign the request with SigV4: ${(error as Error).message}`, { cause: error });
    }
    return { ...(signed.headers as Record<string, string>) };
  }
}

interface SignerModules {
  readonly signer: SignatureV4;
  readonly HttpRequest: typeof HttpRequest;
}
