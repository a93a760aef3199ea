/* eslint-disable @typescript-eslint/no-explicit-any -- migrations take Kysely<any> by design: they must not depend on today's row types. */
// Frozen once released. Issue 14 item 5: each guest's snapshot list as Proxmox last returned it
// (GET …/{qemu|lxc}/{vmid}/snapshot, read about daily and right after a snapshot, rollback or
// delete-snapshot task). No history: the current list replaces the previous one, with the time
// it was read. The pseudo-entry "current" is not a snapshot; its parent ("you are here") is kept
// on the fetch row.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('guest_snapshots')
    .addColumn('cluster_id', 'integer', (c) => c.notNull())
    .addColumn('vmid', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('snaptime', 'integer')
    .addColumn('description', 'text')
    .addColumn('parent', 'text')
    .addColumn('vmstate', 'integer')
    .addPrimaryKeyConstraint('guest_snapshots_pk', ['cluster_id', 'vmid', 'name'])
    .execute();
  await db.schema
    .createTable('guest_snapshot_fetches')
    .addColumn('cluster_id', 'integer', (c) => c.notNull())
    .addColumn('vmid', 'integer', (c) => c.notNull())
    .addColumn('fetched_at', 'integer', (c) => c.notNull())
    // when the list last differed from the one before (the site refreshes the guest's page then)
    .addColumn('changed_at', 'integer', (c) => c.notNull())
    .addColumn('current_parent', 'text')
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('guest_snapshot_fetches_pk', ['cluster_id', 'vmid'])
    .execute();
  await db.schema.createIndex('guest_snapshot_fetches_by_change').on('guest_snapshot_fetches').column('changed_at').execute();
  // Portable SQL (no SQLite-only functions), so it serves PostgreSQL as it is.
  await sql`create view v_guest_snapshots as
    select c.name as cluster, s.cluster_id, s.vmid, g.name as guest, s.name as snapshot, s.snaptime, s.description,
           s.parent, s.vmstate, case when s.name = f.current_parent then 1 else 0 end as is_current_parent, f.fetched_at
    from guest_snapshots s
    join clusters c on c.id = s.cluster_id
    left join guests g on g.cluster_id = s.cluster_id and g.vmid = s.vmid
    left join guest_snapshot_fetches f on f.cluster_id = s.cluster_id and f.vmid = s.vmid`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop view if exists v_guest_snapshots`.execute(db);
  await db.schema.dropTable('guest_snapshot_fetches').ifExists().execute();
  await db.schema.dropTable('guest_snapshots').ifExists().execute();
}
