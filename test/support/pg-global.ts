// vitest globalSetup (issue 17 item 3): one throw-away PostgreSQL server for the whole run, its
// URL exported to the test workers as PMI_TEST_PG_URL (each test file makes its own database on
// it: test/support/store-backends.ts). Listed before temp-root.ts, so its directory is made in the
// real temporary directory (the run's temp root is mode 0700 root, which `postgres` cannot enter),
// and removed at the end like everything else. Not installed (a run outside scripts/test.sh
// without Debian's postgresql): no server, and the PostgreSQL half of the store tests fails
// saying so rather than silently passing.
import { existsSync } from 'node:fs';
import { createDatabase, startPgServer } from './pg-server.ts';
import { openPgStore } from '../../agent/store/open-store.ts';

/** The migrated database every test database is copied from (CREATE DATABASE … TEMPLATE): a copy costs far less than migrating. */
export const TEMPLATE_DB = 'pmi_template';

export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.PMI_TEST_PG_URL) return undefined; // given from outside (a developer's own server)
  if (!existsSync('/usr/lib/postgresql')) {
    process.env.PMI_TEST_PG_MISSING = 'PostgreSQL is not installed: run scripts/test.sh (it installs Debian\'s postgresql)';
    return undefined;
  }
  const server = await startPgServer();
  const store = await openPgStore({ url: await createDatabase(server.url, TEMPLATE_DB) });
  await store.close();
  process.env.PMI_TEST_PG_URL = server.url;
  process.env.PMI_TEST_PG_TEMPLATE = TEMPLATE_DB;
  return async () => {
    delete process.env.PMI_TEST_PG_URL;
    await server.stop();
  };
}
