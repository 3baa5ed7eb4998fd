import dynalite from 'dynalite';
import type { TestProject } from 'vitest/node';
import { repairDynaliteIteratorClose } from '../../src/local/dynalite/dynalite-iterator-close.ts';
import { listenOnLoopback } from '../../src/local/ports.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>`: the dynalite every int test file shares (each makes its own table). */
    dynamoEndpoint: string;
  }
}

/**
 * Starts dynalite in this process, in memory, on a free port of 127.0.0.1, for the whole test run.
 * Tables are ACTIVE at once (`createTableMs: 0`) so tests do not wait out dynalite's default 500 ms.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  repairDynaliteIteratorClose(); // or every Query of the whole run keeps its iterator open
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await listenOnLoopback(server);
  project.provide('dynamoEndpoint', `http://127.0.0.1:${port}`);
  return () =>
    new Promise<void>((resolve, reject) => {
      // SDK clients keep connections alive; close would wait for them (dynalite allows 30 s).
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    });
}
