/**
 * Writes the configuration file of the CNCF distribution registry (Debian's `docker-registry`, 2.8)
 * that the local stack and the integration tests run. Pure: returns YAML text, touches no file.
 *
 * @see https://distribution.github.io/distribution/about/configuration/
 */

/** Where the registry sends its push notifications, and the shared secret it proves itself with. */
export interface RegistryNotificationOptions {
  readonly url: string;
  /** Sent as `Authorization: Bearer <secret>` on every notification (see {@link NOTIFICATION_SECRET_HEADER}). */
  readonly secret: string;
  /** Endpoint name shown in the registry's log. */
  readonly name?: string;
}

/** Token authentication as distribution implements it: JWTs signed by a key whose certificate is in the bundle. */
export interface RegistryTokenAuthOptions {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** Path of a PEM file holding the certificate(s) that token signatures are checked against. */
  readonly rootCertBundlePath: string;
}

export interface RegistryConfigOptions {
  /** `host:port` to listen on; keep it on 127.0.0.1. */
  readonly addr: string;
  /** Folder holding the registry's blobs and manifests. */
  readonly rootDirectory: string;
  /** Signs upload state; any fixed string for one instance. */
  readonly httpSecret: string;
  readonly notifications?: RegistryNotificationOptions | undefined;
  /** Path of an htpasswd file (bcrypt lines): the registry then asks for Basic credentials. */
  readonly htpasswdPath?: string | undefined;
  readonly tokenAuth?: RegistryTokenAuthOptions | undefined;
  /**
   * Defaults to `warn`: at `info` the registry logs every request and the notification endpoint's
   * headers, the shared secret included.
   */
  readonly logLevel?: 'error' | 'warn' | 'info' | 'debug' | undefined;
  /**
   * Extra headers on every response. A per-start value (e.g. `X-Registry-Instance: <uuid>`) lets a
   * starter tell its own registry from another process already answering on the port.
   */
  readonly responseHeaders?: Readonly<Record<string, string>> | undefined;
}

/** The header that carries the notification secret, and how its value is built from the secret. */
export const NOTIFICATION_SECRET_HEADER = 'Authorization';
export function formatNotificationSecretHeader(secret: string): string {
  return `Bearer ${secret}`;
}

/**
 * Renders the registry configuration. Notifications include references (the children of an index)
 * and skip blob events and pulls, so the receiver sees manifest pushes and deletes only.
 * Throws when both kinds of auth are asked for: distribution accepts one access controller.
 */
export function renderRegistryConfig(options: RegistryConfigOptions): string {
  if (options.htpasswdPath !== undefined && options.tokenAuth !== undefined) {
    throw new Error('registry config: htpasswd and token auth are exclusive; distribution accepts one access controller');
  }
  // Every scalar is written as a JSON string: JSON strings are valid YAML double-quoted scalars,
  // so paths and secrets with ':' or '#' cannot change the document's structure.
  const q = (value: string): string => JSON.stringify(value);
  const lines = [
    'version: 0.1',
    'log:',
    `  level: ${q(options.logLevel ?? 'warn')}`,
    '  formatter: text',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(options.rootDirectory)}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${q(options.addr)}`,
    `  secret: ${q(options.httpSecret)}`,
    '  headers:',
    '    X-Content-Type-Options: ["nosniff"]',
    ...Object.entries(options.responseHeaders ?? {}).map(([name, value]) => `    ${q(name)}: [${q(value)}]`),
  ];
  if (options.htpasswdPath !== undefined) {
    lines.push('auth:', '  htpasswd:', '    realm: "manifest-assembler-local"', `    path: ${q(options.htpasswdPath)}`);
  }
  if (options.tokenAuth !== undefined) {
    const token = options.tokenAuth;
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${q(token.realm)}`,
      `    service: ${q(token.service)}`,
      `    issuer: ${q(token.issuer)}`,
      `    rootcertbundle: ${q(token.rootCertBundlePath)}`,
    );
  }
  if (options.notifications !== undefined) {
    const n = options.notifications;
    lines.push(
      'notifications:',
      '  events:',
      '    includereferences: true',
      '  endpoints:',
      `    - name: ${q(n.name ?? 'manifest-assembler')}`,
      `      url: ${q(n.url)}`,
      '      headers:',
      `        ${NOTIFICATION_SECRET_HEADER}: [${q(formatNotificationSecretHeader(n.secret))}]`,
      '      timeout: 2s',
      '      threshold: 3',
      '      backoff: 1s',
      '      ignore:',
      '        mediatypes: ["application/octet-stream"]',
      '        actions: ["pull"]',
    );
  }
  return `${lines.join('\n')}\n`;
}
