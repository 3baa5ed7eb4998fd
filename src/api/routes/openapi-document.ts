import { openApiDocument } from '../openapi.ts';
import type { RouteFunction, RouteNamed } from '../routes.ts';

/**
 * GET /v1/openapi.json. This module is loaded on the first request for it, and in a Lambda bundle
 * ../openapi.ts is the document generated at build time (scripts/build.mjs): no cold start pays for
 * the generator or the response schemas.
 */
export const getOpenApiDocument: RouteFunction<RouteNamed<'openapi'>> = async () => openApiDocument();
