// Frozen once released. PVE 9 rrddata carries pressure stall (PSI avg10, percent) for nodes and
// guests and the ZFS ARC size for nodes (pve-api.md §8; pve-vm-9.0 / pve-node-9.0 RRD layouts).
// Proxmox serves them only from rrddata (not in /cluster/resources or /nodes/{node}/status), so
// only backfill fills them. Own tables instead of columns on the raw sample tables: six more
// (NULL) columns on every live row measured +10 % bytes written per day (374.8 vs 342 MB per
// 1,000 guests); rows here are written only for backfilled stretches. Series-major keys: the
// pages read the newest row per guest/node.
import { sql, type Kysely } from 'kysely';

// Kysely<any> on purpose: migrations must not depend on application types that change later.
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('guest_pressure_samples')
    .addColumn('cluster_id', 'integer', (c) => c.notNull())
    .addColumn('vmid', 'integer', (c) => c.notNull())
    .addColumn('ts', 'integer', (c) => c.notNull())
    .addColumn('cpu_some', 'real')
    .addColumn('cpu_full', 'real')
    .addColumn('io_some', 'real')
    .addColumn('io_full', 'real')
    .addColumn('memory_some', 'real')
    .addColumn('memory_full', 'real')
    .addPrimaryKeyConstraint('guest_pressure_samples_pk', ['cluster_id', 'vmid', 'ts'])
    .modifyEnd(sql`without rowid`)
    .execute();
  await db.schema
    .createTable('node_pressure_samples')
    .addColumn('cluster_id', 'integer', (c) => c.notNull())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('ts', 'integer', (c) => c.notNull())
    .addColumn('arcsize', 'integer')
    .addColumn('cpu_some', 'real')
    .addColumn('io_some', 'real')
    .addColumn('io_full', 'real')
    .addColumn('memory_some', 'real')
    .addColumn('memory_full', 'real')
    .addPrimaryKeyConstraint('node_pressure_samples_pk', ['cluster_id', 'node', 'ts'])
    .modifyEnd(sql`without rowid`)
    .execute();
  await db.schema.createIndex('guest_pressure_samples_by_ts').on('guest_pressure_samples').column('ts').execute();
  await db.schema.createIndex('node_pressure_samples_by_ts').on('node_pressure_samples').column('ts').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('node_pressure_samples').ifExists().execute();
  await db.schema.dropTable('guest_pressure_samples').ifExists().execute();
}
