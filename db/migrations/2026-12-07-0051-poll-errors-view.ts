/* eslint-disable @typescript-eslint/no-explicit-any -- migrations take Kysely<any> by design: they must not depend on today's row types. */
// Frozen once released. v_poll_errors: the per-node poll problems of poll_errors (migration 0021)
// with the cluster's name, like every documented view, so alert rules (node-api-errors) and
// users' queries read them without the internal cluster_id join.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create view v_poll_errors as
    select c.name as cluster, e.cluster_id, e.id, e.ts, e.node, e.endpoint, e.path, e.code, e.message
    from poll_errors e join clusters c on c.id = e.cluster_id`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop view if exists v_poll_errors`.execute(db);
}
