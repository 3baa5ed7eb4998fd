import { rm } from 'node:fs/promises';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations.
import { bundleFunction } from '../../scripts/build.mjs';

const OUT = 'test-api-bundle';

/** The source files in `roots` and, transitively, in the output files they import statically. */
function staticInputs(metafile: Metafile, roots: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const stack = [...roots]; stack.length > 0; ) {
    const path = stack.pop() as string;
    if (seen.has(path)) continue;
    seen.add(path);
    for (const imported of metafile.outputs[path]?.imports ?? []) if (imported.kind === 'import-statement') stack.push(imported.path);
  }
  return [...seen].flatMap((path) => Object.keys(metafile.outputs[path]?.inputs ?? {}));
}

/** The output file holding a source file (the chunk a dynamic import of it loads). */
function outputOf(metafile: Metafile, input: string): string {
  const found = Object.keys(metafile.outputs).filter((path) =>
    Object.keys(metafile.outputs[path]?.inputs ?? {}).some((i) => i.endsWith(input)),
  );
  expect(found, input).toHaveLength(1);
  return found[0] as string;
}

// The api Lambda loads each route on its first request (src/api/handle-request.ts): a cold start
// pays for the router and the adapters, not for every use case and the validation library.
describe('the api bundle', () => {
  let outdir: string;
  let metafile: Metafile;
  let cold: string[];

  beforeAll(async () => {
    // As deployed: built and folded by scripts/build.mjs.
    ({ outdir, metafile } = (await bundleFunction({ name: OUT, entry: 'functions/api.ts' })) as { outdir: string; metafile: Metafile });
    const entry = Object.keys(metafile.outputs).find((path) => path.endsWith(`${OUT}/index.mjs`)) as string;
    cold = staticInputs(metafile, [entry]);
  }, 120_000);

  afterAll(async () => {
    await rm(outdir, { recursive: true, force: true });
  });

  it('loads the router and the error table at a cold start, and no route, use case or zod', () => {
    expect(cold.filter((path) => /src\/api\/(handle-request|routes|problem)\.ts$/.test(path))).toHaveLength(3);
    const lazy = /src\/api\/routes\/|node_modules\/zod\/|src\/core\/(publish-version|record-push|reconcile|backfill|version-status)\.ts$/;
    expect(cold.filter((path) => lazy.test(path))).toEqual([]);
  });

  it.each(['version.ts', 'history.ts', 'repositories.ts'])(
    'serves routes/%s without zod (its path parameters are checked by core)',
    (route) => {
      const inputs = staticInputs(metafile, [outputOf(metafile, `src/api/routes/${route}`)]);
      expect(inputs.some((path) => path.endsWith(`src/api/routes/${route}`))).toBe(true);
      expect(inputs.filter((path) => path.includes('node_modules/zod/'))).toEqual([]);
    },
  );

  it('loads zod with a route that validates a body', () => {
    const inputs = staticInputs(metafile, [outputOf(metafile, 'src/api/routes/publish.ts')]);
    expect(inputs.some((path) => path.includes('node_modules/zod/'))).toBe(true);
  });
});
