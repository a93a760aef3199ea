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
import * as m0090 from './2026-12-07-0090-postgres-sqlite-compat.ts';

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
  '2026-12-07-0090-postgres-sqlite-compat': m0090,
};
