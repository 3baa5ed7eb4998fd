import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations.
import { bundleFunction } from '../../scripts/build.mjs';
import { buildOpenApiDocument } from '../../src/api/openapi.ts';

const OUT = 'test-openapi-api';

/** The inputs of the output files a cold start loads: index.mjs and, transitively, its static imports. */
function coldInputs(metafile: Metafile): string[] {
  const entry = Object.keys(metafile.outputs).find((path) => path.endsWith(`${OUT}/index.mjs`));
  const seen = new Set<string>();
  for (const stack = entry === undefined ? [] : [entry]; stack.length > 0; ) {
    const path = stack.pop() as string;
    if (seen.has(path)) continue;
    seen.add(path);
    for (const imported of metafile.outputs[path]?.imports ?? []) if (imported.kind === 'import-statement') stack.push(imported.path);
  }
  return [...seen].flatMap((path) => Object.keys(metafile.outputs[path]?.inputs ?? {}));
}

describe('the api bundle', () => {
  let outdir: string;
  let metafile: Metafile;

  beforeAll(async () => {
    // As deployed: built and folded by scripts/build.mjs.
    ({ outdir, metafile } = (await bundleFunction({ name: OUT, entry: 'functions/api.ts' })) as { outdir: string; metafile: Metafile });
  }, 120_000);

  afterAll(async () => {
    await rm(outdir, { recursive: true, force: true });
  });

  it('serves the document generated at build time, equal to what the generator makes', async () => {
    process.env.TABLE_NAME ??= 'openapi-test';
    process.env.REGISTRY_KIND ??= 'ecr';
    const { handler } = (await import(pathToFileURL(join(outdir, 'index.mjs')).href)) as {
      handler: (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
    };
    const event = {
      version: '2.0',
      rawPath: '/v1/openapi.json',
      rawQueryString: '',
      headers: {},
      requestContext: { http: { method: 'GET', path: '/v1/openapi.json' } },
      isBase64Encoded: false,
    };
    const response = await handler(event, { awsRequestId: 'openapi-test', functionName: 'api' });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual(buildOpenApiDocument());
  });

  it("loads neither the generator nor zod's JSON Schema converter at a cold start", () => {
    const inputs = coldInputs(metafile);
    expect(inputs.some((path) => path.endsWith('src/api/handle-request.ts'))).toBe(true);
    expect(inputs.filter((path) => /to-json-schema|src\/api\/(openapi|response-schemas)\.ts/.test(path))).toEqual([]);
  });
});
