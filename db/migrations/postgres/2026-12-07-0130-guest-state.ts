/* eslint-disable @typescript-eslint/no-explicit-any -- migrations take Kysely<any> by design: they must not depend on today's row types. */
// Frozen once released. PostgreSQL twin of ../2026-12-07-0130-guest-state.ts (issue 17 item 5):
// the same table, UNLOGGED.
//
// guest_state: per cluster, its present guests as of the cluster's last cycle (the columns of
// `guests` and the cycle's sample values, as v_guest_latest has them), packed as JSON objects of
// column arrays (`latest`: the fleet overview's columns; `inventory`: the rest of the guests row),
// written by the cycle's own statement. Reading the whole fleet is then 250
// short rows instead of a join over 50,000 guests and their samples plus 650,000 values through
// node-postgres.
//
// Derived only: a row is used only while its ts equals clusters.last_sample_ts (the cycle that
// wrote it is the cluster's latest); otherwise readers build the same objects from v_guest_latest.
// So it is UNLOGGED: no WAL for a row rewritten every cycle, and after a crash PostgreSQL empties
// it and readers fall back until each cluster's next cycle rewrites its row. A replica has no
// unlogged data and falls back the same way.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create unlogged table guest_state (
    cluster_id bigint primary key references clusters(id) on delete cascade,
    ts bigint not null,
    latest text not null,
    inventory text not null
  )`.execute(db);
  // ~30 KB of JSON per cluster and cycle: lz4 compresses it at a fraction of pglz's CPU (measured:
  // 50 clusters' upserts ~35–60 ms with lz4 against ~74 ms with pglz, load ~14; same size). A
  // server built without lz4 keeps pglz.
  await sql`do $$ begin
      alter table guest_state alter column latest set compression lz4, alter column inventory set compression lz4;
    exception when others then null;
    end $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table guest_state`.execute(db);
}
