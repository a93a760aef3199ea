// Every migration, statically imported, so the bundled agent (dist/, see scripts/build.ts) carries
// them: a bundle cannot import .ts files from a directory at run time. Add each new migration file
// here too — test/unit/store-migrations-index.test.ts fails when this list and the directory differ.
// The migration files themselves stay frozen; this file only names them.
import type { Migration } from 'kysely';
import * as m0001 from './2026-11-27-0001-initial.ts';
import * as m0002 from './2026-11-27-0002-views.ts';
import * as m0003 from './2026-11-27-0003-actions-request.ts';
import * as m0010 from './2026-12-07-0010-actions-scoped-ids.ts';
import * as m0020 from './2026-12-07-0020-pve9-pressure-arc.ts';
import * as m0021 from './2026-12-07-0021-poll-errors.ts';
import * as m0040 from './2026-12-07-0040-health.ts';
import * as m0050 from './2026-12-07-0050-alerts.ts';
import * as m0051 from './2026-12-07-0051-poll-errors-view.ts';
import * as m0052 from './2026-12-07-0052-postgres-sqlite-compat.ts';
import * as m0065 from './2026-12-07-0065-certificate-handshake.ts';
import * as m0066 from './2026-12-07-0066-backup-status-unknown.ts';
import * as m0067 from './2026-12-07-0067-pbs.ts';
import * as m0080 from './2026-12-07-0080-guest-snapshots.ts';
import * as m0095 from './2026-12-07-0095-agent-leases.ts'; // leases (#17)
import * as m0100 from './2026-12-07-0100-latest-views-postgres.ts'; // PostgreSQL latest views (#17 item 5)
import * as m0105 from './2026-12-07-0105-cluster-keys.ts'; // every table keys on the cluster (#17)
import * as m0130 from './2026-12-07-0130-guest-state.ts'; // PostgreSQL per-cluster current state (#17 item 5)
import * as m0145 from './2026-12-07-0145-backup-guest-plan.ts'; // v_backup_guest's plan (#13 item 7)

/** Migration name (file name without .ts) → module, in name order. */
export const migrations: Readonly<Record<string, Migration>> = {
  '2026-11-27-0001-initial': m0001,
  '2026-11-27-0002-views': m0002,
  '2026-11-27-0003-actions-request': m0003,
  '2026-12-07-0010-actions-scoped-ids': m0010,
  '2026-12-07-0020-pve9-pressure-arc': m0020,
  '2026-12-07-0021-poll-errors': m0021,
  '2026-12-07-0040-health': m0040,
  '2026-12-07-0050-alerts': m0050,
  '2026-12-07-0051-poll-errors-view': m0051,
  '2026-12-07-0052-postgres-sqlite-compat': m0052,
  '2026-12-07-0065-certificate-handshake': m0065,
  '2026-12-07-0066-backup-status-unknown': m0066,
  '2026-12-07-0067-pbs': m0067,
  '2026-12-07-0080-guest-snapshots': m0080,
  '2026-12-07-0095-agent-leases': m0095, // leases (#17)
  '2026-12-07-0100-latest-views-postgres': m0100, // PostgreSQL latest views (#17 item 5)
  '2026-12-07-0105-cluster-keys': m0105, // every table keys on the cluster (#17)
  '2026-12-07-0130-guest-state': m0130, // PostgreSQL per-cluster current state (#17 item 5)
  '2026-12-07-0145-backup-guest-plan': m0145, // v_backup_guest's plan (#13 item 7)
};
