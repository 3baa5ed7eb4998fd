import dynalite from 'dynalite';
import { listenOnLoopback } from '../ports.ts';
import { repairDynaliteIteratorClose } from './dynalite-iterator-close.ts';

/** dynalite answering the DynamoDB API on 127.0.0.1. */
export interface RunningDynalite {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts dynalite in this process on an ephemeral port of 127.0.0.1, persisted under `path`
 * (LevelDB). The local stack runs it in a child process of its own (./dynalite-process.ts). Table operations finish at once instead of after dynalite's simulated 500 ms. Its
 * reads close their LevelDB iterators ({@link repairDynaliteIteratorClose}).
 */
export async function startDynalite(path: string): Promise<RunningDynalite> {
  repairDynaliteIteratorClose();
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await listenOnLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The SDK keeps connections alive: idle ones are closed now; a request still being answered
        // finishes first (cutting it would leave dynalite writing to a closed database, which throws).
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
}
