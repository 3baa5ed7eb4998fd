import { CONFIG_MAX_AGE_MS, dependenciesFromEnv } from '../src/composition.ts';
import { createOnImagePushHandler } from '../src/handlers/on-image-push.ts';

/** Lambda entry point: EventBridge "ECR Image Action" → record the push, publish when complete. */
export const handler = createOnImagePushHandler(await dependenciesFromEnv(process.env, { configMaxAgeMs: CONFIG_MAX_AGE_MS }));
