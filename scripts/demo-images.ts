// Writes real busybox images for linux/amd64, linux/arm64 and linux/arm/v7 into an OCI image layout
// (default .local/demo/busybox), for the README's walk-through: push them with any registry client,
// e.g. `skopeo copy --dest-tls-verify=false oci:.local/demo/busybox:arm64 docker://127.0.0.1:5000/hello:2.7-arm64`.
// Built offline from Debian's busybox-static packages (scripts/fetch-test-debs.sh fetches them once).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildImage, TestArches, type Blob } from '../test/support/images.ts';

const layout = resolve(process.argv[2] ?? join(process.env['DATA_DIR'] ?? '.local', 'demo', 'busybox'));
const label = process.argv[3];
const fetched = spawnSync('bash', [join(import.meta.dirname, 'fetch-test-debs.sh')], { stdio: 'inherit' });
if (fetched.status !== 0) process.exit(fetched.status ?? 1);

const blobs = join(layout, 'blobs', 'sha256');
mkdirSync(blobs, { recursive: true });
const write = (b: Blob) => writeFileSync(join(blobs, b.digest.slice('sha256:'.length)), b.bytes);
const manifests = Object.values(TestArches).map((arch) => {
  const image = buildImage({ arch, format: 'oci', ...(label ? { label } : {}) });
  [image.layer, image.config, image].forEach(write);
  return {
    mediaType: image.mediaType,
    digest: image.digest,
    size: image.size,
    annotations: { 'org.opencontainers.image.ref.name': arch },
  };
});
writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }, null, 2));
console.log(`OCI layout with busybox images tagged ${Object.values(TestArches).join(', ')} written to ${layout}`);
for (const m of manifests) console.log(`  ${m.annotations['org.opencontainers.image.ref.name'].padEnd(6)} ${m.digest}`);
