import type { TestProject } from 'vitest/node';
import { startRegistry } from './registry-process.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:PORT` of the registry shared by the `int` project (no auth, no notifications). */
    registryUrl: string;
  }
}

/**
 * vitest globalSetup of the `int` project: one real CNCF distribution registry for the whole run,
 * storage in a temporary folder. Tests read its URL with `inject('registryUrl')` and use repository
 * names of their own, so they never see each other's images.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const registry = await startRegistry();
  project.provide('registryUrl', registry.url);
  return () => registry.stop();
}
