/* eslint-disable @typescript-eslint/no-explicit-any -- migrations take Kysely<any> by design: they must not depend on today's row types. */
// Frozen once released. Nothing to do on SQLite: this migration exists for its PostgreSQL twin
// (db/migrations/postgres/2026-12-07-0052-postgres-sqlite-compat.ts), which adds the few SQLite
// functions the documented queries and users' habits rely on (issue 17).
import type { Kysely } from 'kysely';

export async function up(_db: Kysely<any>): Promise<void> {}

export async function down(_db: Kysely<any>): Promise<void> {}
