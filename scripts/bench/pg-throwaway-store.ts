// A throw-away PostgreSQL server (the tests' test/support/pg-server.ts) with one database, migrated
// and opened as the agent's store: what the PostgreSQL profile scripts start from.
import { createDatabase, startPgServer, type PgServer } from '../../test/support/pg-server.ts';
import { openPgStore, type PgStore } from '../../agent/store/open-store.ts';

export interface ThrowawayPgStore {
  server: PgServer;
  store: PgStore;
  /** The database's URL (no password needed on the throw-away server). */
  url: string;
}

/** Starts the server under /tmp (the postgres user must reach it), creates `database` and opens it. */
export async function startThrowawayPgStore(database: string, settings?: Record<string, string>): Promise<ThrowawayPgStore> {
  const server = await startPgServer({ parentDir: '/tmp', ...(settings && { settings }) });
  try {
    const url = await createDatabase(server.url, database);
    return { server, store: await openPgStore({ url }), url };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
