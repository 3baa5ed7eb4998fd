import { relative } from 'node:path';
import { redactUrl } from '../adapters/webhook/redact-url.ts';

/** Where each part of the running local stack is, for the start-up message. */
export interface BannerInfo {
  readonly apiUrl: string;
  readonly webhookUrl: string;
  readonly registryUrl: string;
  /** undefined when the registry is the user's own (REGISTRY_URL). */
  readonly registryFiles: { readonly storage: string; readonly log: string } | undefined;
  readonly dynamoEndpoint: string;
  readonly dynamoPath: string;
  readonly tokenPath: string;
  readonly secretPath: string;
  /** Where outcome events are POSTed, and the file with the key they are signed with. */
  readonly notify?: { readonly urls: readonly string[]; readonly secretPath: string };
  /** Milliseconds between reconcile passes; 0 when the reconciler is off. */
  readonly reconcileIntervalMs: number;
  readonly readyMs: number;
  /** Paths are shown relative to this folder when they are inside it. */
  readonly cwd: string;
}

/** The message printed once everything answers. Holds paths to the token and the secret, never their values. */
export function formatBanner(info: BannerInfo): string {
  const show = (path: string): string => showPath(path, info.cwd);
  const registryHost = new URL(info.registryUrl).host;
  const lines = [
    `manifest-assembler local stack is ready (${Math.round(info.readyMs)} ms)`,
    '',
    `  API        ${info.apiUrl}/v1   token: ${show(info.tokenPath)} (send "Authorization: Bearer <token>"; GET /v1/health needs none)`,
    `  webhook    ${info.webhookUrl}   secret: ${show(info.secretPath)}`,
    info.registryFiles === undefined
      ? `  registry   ${info.registryUrl}   (yours: REGISTRY_URL)`
      : `  registry   ${info.registryUrl}   storage: ${show(info.registryFiles.storage)}   log: ${show(info.registryFiles.log)} (holds the webhook secret at info level: keep it private)`,
    `  DynamoDB   ${info.dynamoEndpoint} (dynalite)   data: ${show(info.dynamoPath)}`,
    ...formatNotifyLines(info.notify, show),
    info.reconcileIntervalMs > 0
      ? `  reconcile  every ${formatSeconds(info.reconcileIntervalMs)} s, first pass now (recovers pushes whose notifications were lost; RECONCILE_INTERVAL=0 turns it off)`
      : '  reconcile  off (RECONCILE_INTERVAL=0): pushes whose notifications are lost stay unrecorded until a pass runs',
    '',
    'How to push (per-arch tags; the index appears under the version tag once both are in):',
    `  npx manifest-assembler config set hello --require linux/amd64,linux/arm64`,
    `  npm run demo-images      # real busybox images for amd64, arm64 and arm/v7 in .local/demo/busybox`,
    `  skopeo copy --dest-tls-verify=false oci:.local/demo/busybox:amd64 docker://${registryHost}/hello:2.7-amd64`,
    `  skopeo copy --dest-tls-verify=false oci:.local/demo/busybox:arm64 docker://${registryHost}/hello:2.7-arm64`,
    `Then: npx manifest-assembler status hello:2.7   (or curl -H "Authorization: Bearer $(cat ${show(info.tokenPath)})" ${info.apiUrl}/v1/repositories/hello/versions/2.7)`,
    '',
    'Ctrl-C stops everything.',
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * What to add to the configuration of a registry the user runs (REGISTRY_URL) so that it notifies
 * the webhook. The secret stays in its file; the snippet names the file.
 */
export function formatExternalRegistryHint(webhookUrl: string, secretPath: string, cwd: string): string {
  return [
    `REGISTRY_URL is set: no registry is started. Point its notifications at the webhook (distribution config.yml):`,
    '  notifications:',
    '    events: { includereferences: true }',
    '    endpoints:',
    '      - name: manifest-assembler',
    `        url: ${webhookUrl}`,
    `        headers: { Authorization: ["Bearer <the contents of ${showPath(secretPath, cwd)}>"] }`,
    '        timeout: 2s',
    '        threshold: 3',
    '        backoff: 1s',
    '        ignore: { mediatypes: [application/octet-stream], actions: [pull] }',
    `The webhook listens on 127.0.0.1 only: the registry must run on this machine (not in a container with its own network).`,
    '',
  ].join('\n');
}

function formatNotifyLines(notify: BannerInfo['notify'], show: (path: string) => string): string[] {
  if (notify === undefined) return [];
  if (notify.urls.length === 0)
    return ['  events     not sent (set NOTIFY_URL to POST signed CloudEvents to your URLs; see docs/events.md)'];
  const [first, ...rest] = notify.urls.map(redactUrl);
  return [
    `  events     POST ${first}   signed with: ${show(notify.secretPath)} (X-Manifest-Assembler-Signature)`,
    ...rest.map((url) => `             POST ${url}`),
  ];
}

function formatSeconds(ms: number): string {
  return String(Math.round(ms) / 1_000);
}

function showPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith('/') ? rel : path;
}
