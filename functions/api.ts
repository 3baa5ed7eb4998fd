import { dependenciesFromEnv } from '../src/composition.ts';
import { createApiHandler } from '../src/handlers/api.ts';

/** Lambda entry point: the HTTP API (API Gateway HTTP API, payload v2, AWS_IAM authorizer). */
export const handler = createApiHandler(await dependenciesFromEnv());
