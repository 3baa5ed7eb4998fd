import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations
import { generatedFile, renderDashboardAssets } from '../../scripts/build-dashboard.mjs';

describe('src/dashboard/assets.generated.ts', () => {
  it('is the build of the page sources as they are now (run npm run build:dashboard after changing them)', async () => {
    const committed = await readFile(generatedFile as string, 'utf8');
    expect(committed === (await (renderDashboardAssets as () => Promise<string>)())).toBe(true);
  }, 30_000);
});
