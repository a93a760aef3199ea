/* eslint-disable @typescript-eslint/no-explicit-any -- migrations take Kysely<any> by design: they must not depend on today's row types. */
// Frozen once released. Proxmox Backup Server datastores (#15, optional): per backup group the
// last backup, its size and the verification state of its newest snapshot, read hourly with a
// DatastoreAudit token; pbs_coverage says per datastore whether the token could read it. Tables
// with kysely's schema builder; the view is plain SQL that PostgreSQL also runs.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pbs_groups')
    .addColumn('server', 'text', (c) => c.notNull())
    .addColumn('store', 'text', (c) => c.notNull())
    .addColumn('backup_type', 'text', (c) => c.notNull())
    .addColumn('backup_id', 'text', (c) => c.notNull())
    .addColumn('last_backup', 'integer')
    .addColumn('backup_count', 'integer')
    .addColumn('last_size_bytes', 'integer')
    .addColumn('verify_state', 'text')
    .addColumn('verify_upid', 'text')
    .addColumn('owner', 'text')
    .addColumn('last_seen', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('pbs_groups_pk', ['server', 'store', 'backup_type', 'backup_id'])
    .execute();
  await db.schema
    .createTable('pbs_coverage')
    .addColumn('server', 'text', (c) => c.notNull())
    .addColumn('store', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .addColumn('token_id', 'text')
    .addColumn('last_try', 'integer', (c) => c.notNull())
    .addColumn('last_ok', 'integer')
    .addPrimaryKeyConstraint('pbs_coverage_pk', ['server', 'store'])
    .execute();
  // "now" is the newest read of the server (so a copy of the database answers as it did then)
  await sql`create view v_pbs_group as
    select g.server, g.store, g.backup_type, g.backup_id, g.last_backup, g.backup_count, g.last_size_bytes,
           g.verify_state, g.verify_upid, g.owner, g.last_seen,
           (select max(c.last_try) from pbs_coverage c where c.server = g.server) - g.last_backup as age_s
    from pbs_groups g`.execute(db);
  await sql`create view v_pbs_coverage as
    select server, store, state, message, token_id, last_try, last_ok,
           case when state = 'forbidden' then 'proxmox-backup-manager acl update /datastore/' || store || ' DatastoreAudit --auth-id ''' || coalesce(token_id, 'TOKEN') || '''' end as grant_command
    from pbs_coverage`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop view if exists v_pbs_coverage`.execute(db);
  await sql`drop view if exists v_pbs_group`.execute(db);
  await db.schema.dropTable('pbs_coverage').ifExists().execute();
  await db.schema.dropTable('pbs_groups').ifExists().execute();
}
