import type { HealthResponse } from '../response-schemas.ts';
import type { Route, RouteFunction } from '../routes.ts';

/** GET /v1/health: the function is up (it checks no dependency, so a store outage does not read as "down"). */
export const getHealth: RouteFunction<Route, HealthResponse> = async () => ({ status: 'ok' });
