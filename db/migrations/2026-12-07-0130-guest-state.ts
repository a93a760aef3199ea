/* eslint-disable @typescript-eslint/no-explicit-any -- migrations take Kysely<any> by design: they must not depend on today's row types. */
// Frozen once released. Nothing to do on SQLite: this migration exists for its PostgreSQL twin
// (db/migrations/postgres/2026-12-07-0130-guest-state.ts), the per-cluster current state that
// lets PostgreSQL answer "the latest state of every guest" without joining 50,000 guests to their
// samples (issue 17 item 5). SQLite reads v_guest_latest through one prepared statement, which is
// cheap there (db/README.md, "Reading the whole fleet").
import type { Kysely } from 'kysely';

export async function up(_db: Kysely<any>): Promise<void> {}

export async function down(_db: Kysely<any>): Promise<void> {}
