// PostgreSQL twins of migrations whose SQL must differ there (issue 17 item 1). A migration
// listed here runs INSTEAD of the one of the same name in ../index.ts when the store is
// PostgreSQL; every other migration runs as it is, through agent/store/pg-schema-plugin.ts
// (types, identity columns, time partitions). New migrations: prefer kysely's schema builder,
// and put SQLite-only SQL in one clearly separated statement with its twin here.
import type { Migration } from 'kysely';
import * as m0040 from './2026-12-07-0040-health.ts';
import * as m0052 from './2026-12-07-0052-postgres-sqlite-compat.ts';
import * as m0100 from './2026-12-07-0100-latest-views-postgres.ts';
import * as m0105 from './2026-12-07-0105-cluster-keys.ts';
import * as m0130 from './2026-12-07-0130-guest-state.ts';

export const postgresTwins: Readonly<Record<string, Migration>> = {
  '2026-12-07-0040-health': m0040,
  '2026-12-07-0052-postgres-sqlite-compat': m0052,
  '2026-12-07-0100-latest-views-postgres': m0100,
  '2026-12-07-0105-cluster-keys': m0105,
  '2026-12-07-0130-guest-state': m0130,
};
