// dynalite ships no types. Only what src/local/dynalite/dynalite-server.ts and the test setup call is declared.
declare module 'dynalite' {
  import type { Server } from 'node:http';

  export interface DynaliteOptions {
    /** LevelDB folder; in memory when left out. */
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    verbose?: boolean;
    debug?: boolean;
  }

  /** An http.Server answering the DynamoDB API; `close` also closes its store. */
  export default function dynalite(options?: DynaliteOptions): Server;
}
