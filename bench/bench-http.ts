// The load generator's HTTP client: node:http with one keep-alive agent, instead of the global fetch.
// Every tool's burst shares the machine's two cores with the load generator's pushes, so what the
// pushes cost in CPU is taken from whichever tool is measured. A fetch (undici, WHATWG streams) costs
// ~1.4–2.2 ms of CPU per request on this VM against ~0.4–1.1 ms for http.request (docs/performance.md,
// "The registry client over node:http"); the load generator sends ~7 requests per version.
import { Agent, request } from 'node:http';
import { buildImage, type ImageOptions } from '../test/support/images.ts';

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

export interface BenchAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** One request over the shared keep-alive agent; resolves with the whole answer. */
export function benchRequest(
  method: string,
  url: string | URL,
  options: { readonly headers?: Record<string, string>; readonly body?: Uint8Array } = {},
): Promise<BenchAnswer> {
  const target = typeof url === 'string' ? new URL(url) : url;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        agent,
        method,
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        headers: { ...options.headers, ...(options.body === undefined ? {} : { 'content-length': String(options.body.byteLength) }) },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks) }));
        incoming.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

function expectStatus(answer: BenchAnswer, status: number, what: string): void {
  if (answer.status !== status) throw new Error(`${what}: HTTP ${answer.status} ${answer.body.toString('utf8').slice(0, 300)}`);
}

/** Blob uploads in progress in this process, by `<registry url> <repository> <digest>`. */
const uploading = new Map<string, Promise<void>>();

/**
 * Pushes a blob as a client does: `HEAD` it, and when the repository lacks it, `POST` an upload and
 * `PUT` the bytes with `?digest=`. The `HEAD` is sent even for a blob pushed before, as docker and
 * buildah send it for every layer of every push (the registry's work stays what a real push costs).
 *
 * A pusher that finds the same blob being uploaded by another of this process's pushers waits for that
 * upload instead of starting its own: distribution 2.8 can lose the race between two uploads of one
 * blob into one repository, and then refuses the manifest that names it (`MANIFEST_BLOB_UNKNOWN`; seen
 * when the ten pushers of a burst start on a repository that has no layer yet).
 */
function pushBenchBlob(registryUrl: string, repository: string, blob: { digest: string; bytes: Uint8Array }): Promise<void> {
  const key = `${registryUrl} ${repository} ${blob.digest}`;
  const inProgress = uploading.get(key);
  if (inProgress !== undefined) return inProgress;
  const upload = uploadUnlessHeld(registryUrl, repository, blob).finally(() => uploading.delete(key));
  uploading.set(key, upload);
  return upload;
}

async function uploadUnlessHeld(registryUrl: string, repository: string, blob: { digest: string; bytes: Uint8Array }): Promise<void> {
  const head = await benchRequest('HEAD', `${registryUrl}/v2/${repository}/blobs/${blob.digest}`);
  if (head.status === 200) return;
  const start = await benchRequest('POST', `${registryUrl}/v2/${repository}/blobs/uploads/`);
  const location = start.headers.location;
  if (start.status !== 202 || typeof location !== 'string')
    throw new Error(`blob upload to ${repository} did not start: HTTP ${start.status}`);
  const upload = new URL(location, `${registryUrl}/`);
  upload.searchParams.set('digest', blob.digest);
  expectStatus(
    await benchRequest('PUT', upload, { headers: { 'content-type': 'application/octet-stream' }, body: blob.bytes }),
    201,
    `blob ${blob.digest} to ${repository}`,
  );
}

/**
 * Pushes a busybox image of test/support/images.ts (the same bytes `pushImage` pushes): its layer and
 * config blobs, then its manifest under `tag`, checking the digest the registry answers.
 */
export async function pushBenchImage(registryUrl: string, repository: string, tag: string, options: ImageOptions): Promise<void> {
  const image = buildImage(options);
  await pushBenchBlob(registryUrl, repository, image.layer);
  await pushBenchBlob(registryUrl, repository, image.config);
  const put = await benchRequest('PUT', `${registryUrl}/v2/${repository}/manifests/${tag}`, {
    headers: { 'content-type': image.mediaType },
    body: image.bytes,
  });
  expectStatus(put, 201, `manifest ${repository}:${tag}`);
  if (put.headers['docker-content-digest'] !== image.digest) {
    throw new Error(
      `manifest ${repository}:${tag}: registry says ${String(put.headers['docker-content-digest'])}, bytes are ${image.digest}`,
    );
  }
}

const INDEX_TYPES = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];

/** Whether `tag` resolves to an index (a `HEAD` accepting only index media types). */
export async function tagHoldsIndex(registryUrl: string, repository: string, tag: string): Promise<boolean> {
  const answer = await benchRequest('HEAD', `${registryUrl}/v2/${repository}/manifests/${tag}`, {
    headers: { accept: INDEX_TYPES.join(',') },
  });
  const type =
    String(answer.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim() ?? '';
  return answer.status === 200 && INDEX_TYPES.includes(type);
}

/** The repository's tags (`tags/list`); none when the repository does not exist yet. */
export async function listTags(registryUrl: string, repository: string): Promise<Set<string>> {
  const answer = await benchRequest('GET', `${registryUrl}/v2/${repository}/tags/list`);
  if (answer.status === 404) return new Set();
  expectStatus(answer, 200, `tags/list of ${repository}`);
  return new Set((JSON.parse(answer.body.toString('utf8')) as { tags?: string[] | null }).tags ?? []);
}
