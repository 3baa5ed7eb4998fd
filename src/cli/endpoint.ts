/**
 * Where the API is and how to authenticate to it, decided from the URL and options alone (no I/O).
 * A deployed API sits behind API Gateway's IAM authorizer and wants SigV4; the local one wants the
 * bearer token from the data folder.
 */

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

// {api-id}.execute-api.{region}.amazonaws.com, and the China partition's .amazonaws.com.cn.
const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/** The region in an API Gateway host name, or undefined when the host is not one. */
export function regionFromHost(hostname: string): string | undefined {
  return EXECUTE_API_HOST.exec(hostname.toLowerCase())?.[1];
}

/** True for the loopback names the local stack listens on. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export type AuthChoice = { readonly kind: 'sigv4'; readonly region: string } | { readonly kind: 'bearer' };

export interface AuthChoiceInput {
  readonly url: URL;
  readonly forceSigV4: boolean;
  /** `--region`. */
  readonly regionOption?: string | undefined;
  /** AWS_REGION, else AWS_DEFAULT_REGION. */
  readonly envRegion?: string | undefined;
}

/**
 * SigV4 for an execute-api host or when forced, a bearer token otherwise. The region is `--region`,
 * else the host's (an AWS_REGION set for other work must not override the API's own region), else
 * the environment's. Throws when SigV4 is needed but no region is known.
 */
export function chooseAuth(input: AuthChoiceInput): AuthChoice {
  const hostRegion = regionFromHost(input.url.hostname);
  if (hostRegion === undefined && !input.forceSigV4) return { kind: 'bearer' };
  const region = nonEmpty(input.regionOption) ?? hostRegion ?? nonEmpty(input.envRegion);
  if (region === undefined) {
    throw new Error('signing with SigV4 needs a region: pass --region or set AWS_REGION');
  }
  return { kind: 'sigv4', region };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Parses `--api`; only http and https, and no query or fragment, since paths are appended to it. */
export function parseApiUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`--api "${text}" is not a URL (e.g. ${DEFAULT_API_URL})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`--api "${text}" must be an http or https URL`);
  }
  if (url.search !== '' || url.hash !== '') throw new Error(`--api "${text}" must not have a query or fragment`);
  if (url.username !== '' || url.password !== '') throw new Error('--api must not carry credentials; use --token');
  return url;
}
