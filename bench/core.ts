import { computeDigest } from '../src/core/digest.ts';
import { buildIndex } from '../src/core/index-builder.ts';
import { parseManifest } from '../src/core/manifest.ts';
import { formatPlatform, parsePlatform } from '../src/core/platform.ts';
import { compileTagPattern, matchTag } from '../src/core/tag-pattern.ts';
import type { RecordedImage } from '../src/core/version-record.ts';
import { measure, type Timing } from './harness.ts';

const ARCHES = ['amd64', 'arm64', 'ppc64le', 's390x', '386', 'riscv64', 'mips64le', 'loong64'];

function images(count: number): RecordedImage[] {
  return Array.from({ length: count }, (_, i) => {
    const platform = parsePlatform(`linux/${ARCHES[i % ARCHES.length]}${i >= ARCHES.length ? `/v${i}` : ''}`); // 32 distinct platforms
    return {
      key: formatPlatform(platform),
      platform,
      digest: computeDigest(new TextEncoder().encode(`image-${i}`)),
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      size: 400 + i,
      tag: `2.7-${i}`,
      sourceDigest: computeDigest(new TextEncoder().encode(`image-${i}`)),
      pushedAt: '2026-11-27T10:00:00.000Z',
      attestations: [],
    };
  });
}

/** Pure core operations: what every push and every publish pays in CPU. */
export async function benchCore(): Promise<Timing[]> {
  const two = images(2);
  const thirtyTwo = images(32);
  const built = buildIndex(thirtyTwo, 'oci').manifest;
  const pattern = await compileTagPattern('^(?<version>.+)-(?<platform>[^-]+)$');
  return [
    await measure('parsePlatform + formatPlatform (linux/aarch64)', 20_000, () => formatPlatform(parsePlatform('linux/aarch64'))),
    await measure('matchTag, default pattern (2.7.1-rc1-arm64)', 20_000, () => matchTag(pattern, '2.7.1-rc1-arm64')),
    await measure('buildIndex, 2 platforms (bytes + sha256)', 5_000, () => buildIndex(two, 'auto')),
    await measure('buildIndex, 32 platforms', 2_000, () => buildIndex(thirtyTwo, 'auto')),
    await measure(`parseManifest, 32-child index (${built.size} B)`, 5_000, () => parseManifest(built)),
  ];
}
