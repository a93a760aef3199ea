/* eslint-disable @typescript-eslint/no-explicit-any -- migrations take Kysely<any> by design: they must not depend on today's row types. */
// Frozen once released. Nothing to do on SQLite: this migration exists for its PostgreSQL twin
// (db/migrations/postgres/2026-12-07-0100-latest-views-postgres.ts), which gives v_guest_latest
// and v_node_latest a plan that reads only each cluster's newest cycle of raw samples (issue 17
// item 5). SQLite's planner already does that with the views of 2026-11-27-0002.
import type { Kysely } from 'kysely';

export async function up(_db: Kysely<any>): Promise<void> {}

export async function down(_db: Kysely<any>): Promise<void> {}
