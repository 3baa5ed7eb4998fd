// Writes real busybox images for linux/amd64, linux/arm64 and linux/arm/v7 into an OCI image layout
// (default .local/demo/busybox), for the README's walk-through: push them with any registry client,
// e.g. `skopeo copy --dest-tls-verify=false oci:.local/demo/busybox:arm64 docker://127.0.0.1:5000/hello:2.7-arm64`.
// Built offline from Debian's busybox-static packages (scripts/fetch-test-debs.sh fetches them once).
// Usage: npm run demo-images [-- <layout dir> [<label>]]   (a new label gives new digests: a rebuild)
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { TestArches } from '../test/support/images.ts';
import { writeOciLayout } from '../test/support/oci-layout.ts';

const layout = resolve(process.argv[2] ?? join(process.env.DATA_DIR ?? '.local', 'demo', 'busybox'));
const label = process.argv[3];
const fetched = spawnSync('bash', [join(import.meta.dirname, 'fetch-test-debs.sh')], { stdio: 'inherit' });
if (fetched.status !== 0) process.exit(fetched.status ?? 1);

const built = writeOciLayout(
  layout,
  Object.values(TestArches).map((arch) => ({ name: arch, options: { arch, ...(label ? { label } : {}) } })),
);
console.log(`OCI layout with busybox images tagged ${Object.keys(built).join(', ')} written to ${layout}`);
for (const [name, image] of Object.entries(built)) console.log(`  ${name.padEnd(6)} ${image.digest}`);
