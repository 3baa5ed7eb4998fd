import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { VersionStatus } from '../../src/core/version-status.ts';
import type { LocalStack } from '../../src/local/main.ts';
import { EventReceiver, hasValidSignature } from '../support/event-receiver.ts';
import { eventually } from '../support/eventually.ts';
import { expectValidIndex } from '../support/expect-valid-index.ts';
import type { BuiltImage } from '../support/images.ts';
import { callLocalApi, startQuietStack, waitForVersion } from '../support/local-stack.ts';
import { writeOciLayout } from '../support/oci-layout.ts';

// The release pipeline through the running local stack (issue 7, "done when"): a repository with
// target tags {version}, {major}.{minor} and latest and configured annotations; 2.7.1, 2.8.0 and 2.7.2
// pushed with skopeo (amd64 and arm64 each, the platforms of each version in a different order).
// latest and 2.8 end on 2.8.0's index and 2.7 on 2.7.2's, as a registry client (skopeo) reads them;
// each index carries the configured and inherited annotations; a receiver at NOTIFY_URL gets one
// signed CloudEvent per publish; `manifest-assembler wait` returns 0 for each version.

const run = promisify(execFile);
const VERSIONS = ['2.7.1', '2.8.0', '2.7.2'] as const;
const ARCHES = ['amd64', 'arm64'] as const;
let stack: LocalStack;
let dataDir: string;
let layoutDir: string;
let layout: Record<string, BuiltImage>;
let receiver: EventReceiver;
const SOURCE = 'https://github.com/example/hello';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ma-e2e-floating-'));
  layoutDir = join(dataDir, 'layout');
  // Each version's images differ (a label), so each version's index has its own digest.
  layout = writeOciLayout(
    layoutDir,
    VERSIONS.flatMap((version) =>
      ARCHES.map((arch) => ({
        name: `${version}-${arch}`,
        // Built on two runners: they agree on the source and the version, not on the build time.
        options: {
          arch,
          label: `release ${version}`,
          labels: { 'org.opencontainers.image.source': SOURCE, 'org.opencontainers.image.version': version },
          created: arch === 'amd64' ? '2026-11-30T10:00:00Z' : '2026-11-30T10:05:00Z',
        },
      })),
    ),
  );
  receiver = await new EventReceiver().start();
  stack = await startQuietStack(dataDir, { NOTIFY_URL: receiver.url });
});

afterAll(async () => {
  await stack?.stop();
  await receiver?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const registryHost = () => stack.registryUrl.replace('http://', '');

const api = <T = unknown>(method: string, path: string, body?: unknown) => callLocalApi<T>(stack, method, path, body);

/** The digest a version was published as, once it is. */
async function publishedDigest(repo: string, version: string): Promise<string | undefined> {
  return (await waitForVersion(stack, repo, version, (s) => s.state === 'published', 20_000)).published?.digest;
}

/** The parts of an index the assertions read. */
interface IndexBody {
  readonly mediaType: string;
  readonly annotations?: Record<string, string>;
  readonly manifests: ReadonlyArray<{ readonly digest: string }>;
}

/** What a registry client sees under a tag: skopeo's raw manifest, its digest computed here. */
async function inspectTag(repo: string, tag: string): Promise<{ digest: string; manifest: IndexBody; bytes: Uint8Array }> {
  const { stdout } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registryHost()}/${repo}:${tag}`], {
    encoding: 'buffer',
  });
  const bytes = new Uint8Array(stdout);
  const manifest = JSON.parse(Buffer.from(bytes).toString('utf8')) as IndexBody;
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, manifest, bytes };
}

/** `manifest-assembler wait` as a CI job runs it against the local API. */
async function waitCommand(reference: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['wait', reference, '--timeout', '1m', '--api', stack.apiUrl, '--token', stack.token], {
    env: {},
    cwd: tmpdir(),
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { code, stdout, stderr };
}

describe('the release pipeline, end to end', () => {
  it('leaves latest and 2.8 on 2.8.0 and moves 2.7 to 2.7.2 when 2.7.1, 2.8.0, 2.7.2 are pushed in that order, annotated, announced and waited for', async () => {
    const repo = 'e2e/floating';
    const config = {
      requiredPlatforms: ['linux/amd64', 'linux/arm64'],
      targetTags: ['{version}', '{major}.{minor}', 'latest'],
      annotations: { 'org.opencontainers.image.vendor': 'Example Corp', 'org.opencontainers.image.title': 'hello' },
    };
    expect((await api('PUT', `/v1/repositories/${repo}/config`, config)).status).toBe(200);

    const published: Record<string, string | undefined> = {};
    for (const [i, version] of VERSIONS.entries()) {
      // The deploy job starts waiting before the images are there.
      const waiting = waitCommand(`${repo}:${version}`);
      for (const arch of i % 2 === 0 ? ARCHES : [...ARCHES].reverse()) {
        const name = `${version}-${arch}`;
        await run('skopeo', [
          'copy',
          '-q',
          '--dest-tls-verify=false',
          `oci:${layoutDir}:${name}`,
          `docker://${registryHost()}/${repo}:${name}`,
        ]);
      }
      published[version] = await publishedDigest(repo, version);
      const waited = await waiting;
      expect(waited.code).toBe(0);
      expect(waited.stderr).toContain(`${repo}:${version} is published`);
      expect(waited.stdout.trim()).toBe(published[version]);
    }
    expect(new Set(Object.values(published)).size).toBe(3);

    // Every index carries the configured annotations and the labels both images agree on; created is
    // the later image's, never the clock.
    for (const version of VERSIONS) {
      expect((await inspectTag(repo, version)).manifest.annotations).toStrictEqual({
        'org.opencontainers.image.created': '2026-11-30T10:05:00Z',
        'org.opencontainers.image.source': SOURCE,
        'org.opencontainers.image.title': 'hello',
        'org.opencontainers.image.vendor': 'Example Corp',
        'org.opencontainers.image.version': version,
      });
    }

    // One signed CloudEvent per publish, after the tag held the index.
    const events = await eventually(() => {
      const accepted = receiver.accepted().filter((r) => JSON.parse(r.body).subject.startsWith(`${repo}:`));
      return accepted.length >= VERSIONS.length ? accepted : undefined;
    }, 'one event per published version');
    const secret = readFileSync(join(dataDir, 'notify-secret'), 'utf8').trim();
    for (const request of events) expect(hasValidSignature(request, secret)).toBe(true);
    const bodies = events.map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => [b.type, b.subject, b.data.digest])).toEqual(
      VERSIONS.map((version) => ['io.manifest-assembler.version.published', `${repo}:${version}`, published[version]]),
    );
    expect(new Set(bodies.map((b) => b.id)).size).toBe(VERSIONS.length);

    // A registry client's view of every target tag.
    const seen: Record<string, string> = {};
    for (const tag of ['2.7.1', '2.8.0', '2.7.2', '2.7', '2.8', 'latest']) seen[tag] = (await inspectTag(repo, tag)).digest;
    expect(seen).toEqual({
      '2.7.1': published['2.7.1'],
      '2.8.0': published['2.8.0'],
      '2.7.2': published['2.7.2'],
      '2.7': published['2.7.2'],
      '2.8': published['2.8.0'],
      latest: published['2.8.0'],
    });
    const latest = await inspectTag(repo, 'latest');
    expect(latest.manifest.manifests.map((m) => m.digest).sort()).toEqual(
      [layout['2.8.0-amd64']!.digest, layout['2.8.0-arm64']!.digest].sort(),
    );
    expectValidIndex({ mediaType: latest.manifest.mediaType, digest: latest.digest, size: latest.bytes.byteLength, bytes: latest.bytes });

    // status says which tags each version holds, and why latest did not move to 2.7.2.
    const versions = (await api<{ versions: VersionStatus[] }>('GET', `/v1/repositories/${repo}/versions`)).json.versions;
    expect(versions.map((v) => [v.version, v.tags, v.notes])).toEqual([
      ['2.7.1', ['2.7.1'], ['2.7 stays on 2.7.2 (newer)', 'latest stays on 2.8.0 (newer)']],
      ['2.7.2', ['2.7.2', '2.7'], ['latest stays on 2.8.0 (newer)']],
      ['2.8.0', ['2.8.0', '2.8', 'latest'], []],
    ]);

    // Our own puts of latest and 2.7 raised notifications too; they were ignored, nothing else was recorded.
    expect(versions).toHaveLength(3);
  });

  it('ends the same when all six images are pushed at once', async () => {
    const repo = 'e2e/floating-race';
    const config = { requiredPlatforms: ['linux/amd64', 'linux/arm64'], targetTags: ['{version}', '{major}.{minor}', 'latest'] };
    expect((await api('PUT', `/v1/repositories/${repo}/config`, config)).status).toBe(200);
    await Promise.all(
      VERSIONS.flatMap((version) => ARCHES.map((arch) => `${version}-${arch}`)).map(async (name) => {
        // distribution answers 500 now and then when concurrent uploads of one layer race into a new
        // repository ("trying to reuse blob … failed to read from destination"); a client tries again.
        for (let attempt = 1; ; attempt++) {
          try {
            return await run('skopeo', [
              'copy',
              '-q',
              '--dest-tls-verify=false',
              `oci:${layoutDir}:${name}`,
              `docker://${registryHost()}/${repo}:${name}`,
            ]);
          } catch (error) {
            if (attempt >= 3) throw error;
            await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
          }
        }
      }),
    );
    const published: Record<string, string | undefined> = {};
    for (const version of VERSIONS) published[version] = await publishedDigest(repo, version);
    expect(await Promise.all(['latest', '2.8', '2.7'].map(async (tag) => (await inspectTag(repo, tag)).digest))).toEqual([
      published['2.8.0'],
      published['2.8.0'],
      published['2.7.2'],
    ]);
  });
});
