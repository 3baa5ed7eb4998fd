import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
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
  readonly #signer: SignatureV4;
  readonly #now: () => Date;

  constructor(options: SigV4AuthOptions) {
    this.#signer = new SignatureV4({
      service: options.service ?? 'execute-api',
      region: options.region,
      credentials: options.credentials,
      sha256: Sha256,
      // API Gateway does not want x-amz-content-sha256 (only S3 and Glacier do): the payload hash is signed anyway.
      applyChecksum: false,
    });
    this.#now = options.now ?? (() => new Date());
  }

  async authorize(request: OutgoingRequest): Promise<Record<string, string>> {
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
      signed = (await this.#signer.sign(unsigned, { signingDate: this.#now() })) as HttpRequest;
    } catch (error) {
      // Mostly the credential chain finding nothing; its message lists where it looked.
      throw new CliError(`cannot sign the request with SigV4: ${(error as Error).message}`, { cause: error });
    }
    return { ...(signed.headers as Record<string, string>) };
  }
}
