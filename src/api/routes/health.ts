import type { HealthResponse } from '../response-schemas.ts';
import type { RouteFunction, RouteNamed } from '../routes.ts';

/** GET /v1/health: the function is up (it checks no dependency, so a store outage does not read as "down"). */
export const getHealth: RouteFunction<RouteNamed<'health'>, HealthResponse> = async () => ({ status: 'ok' });
