// A module of its own, not in routes.ts: the routes that use it are loaded on demand, and a module
// they share with the cold start (routes.ts is on it) is split by the bundler into a file of its own.

/** How long a route may work: API Gateway answers within 30 s, so a long pass stops in time and the next call resumes it. */
export const API_WORK_BUDGET_MS = 20_000;
