import { ECRClient, type ECRClientConfig } from '@aws-sdk/client-ecr';

/** Attempts per ECR call (the first try included) before the adapter sees the error. */
export const ECR_MAX_ATTEMPTS = 6;

/**
 * Builds the ECR client the {@link EcrImageRegistry} should be given.
 *
 * `adaptive` retry mode adds a client-side rate limiter that slows down after throttling errors.
 * That matters for PutImage: its quota (10 requests/s per Region by default) is shared with every
 * `docker push` in the account and Region, so a burst of publishes must back off rather than fail.
 * The SDK classifies `ThrottlingException` and ECR's `LimitExceededException` as throttling and 5xx
 * (`ServerException`) as transient; both are retried up to {@link ECR_MAX_ATTEMPTS} times.
 *
 * `overrides` is for tests and local runs (`endpoint`, `credentials`); the SDK also honours
 * `AWS_ENDPOINT_URL_ECR` on its own.
 */
export function createEcrClient(region?: string, overrides: Partial<ECRClientConfig> = {}): ECRClient {
  return new ECRClient({
    ...(region === undefined ? {} : { region }),
    retryMode: 'adaptive',
    maxAttempts: ECR_MAX_ATTEMPTS,
    ...overrides,
  });
}
