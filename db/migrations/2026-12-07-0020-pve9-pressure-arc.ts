// Frozen once released. PVE 9 rrddata carries pressure stall (PSI avg10, percent) for nodes and
// guests and the ZFS ARC size for nodes (pve-api.md §8; pve-vm-9.0 / pve-node-9.0 RRD layouts).
// Proxmox serves them only from rrddata (not in /cluster/resources or /nodes/{node}/status), so
// they are filled by backfill; raw tier only (see db/README.md).
import { sql, type Kysely } from 'kysely';

// Kysely<any> on purpose: migrations must not depend on application types that change later.
/* eslint-disable @typescript-eslint/no-explicit-any */

const GUEST = ['pressure_cpu_some', 'pressure_cpu_full', 'pressure_io_some', 'pressure_io_full', 'pressure_memory_some', 'pressure_memory_full'];
const NODE = ['pressure_cpu_some', 'pressure_io_some', 'pressure_io_full', 'pressure_memory_some', 'pressure_memory_full'];

export async function up(db: Kysely<any>): Promise<void> {
  for (const c of GUEST) await db.schema.alterTable('guest_samples').addColumn(c, 'real').execute();
  for (const c of NODE) await db.schema.alterTable('node_samples').addColumn(c, 'real').execute();
  await db.schema.alterTable('node_samples').addColumn('arcsize', 'integer').execute();
  // Only rrddata rows carry pressure: partial indexes keep "the latest pressure of each guest/node"
  // a small index read instead of a scan of 48 h of raw samples.
  await db.schema.createIndex('guest_samples_pressure').on('guest_samples').columns(['cluster_id', 'vmid', 'ts']).where(sql.ref('pressure_cpu_some'), 'is not', null).execute();
  await db.schema.createIndex('node_samples_pressure').on('node_samples').columns(['cluster_id', 'node', 'ts']).where(sql.ref('pressure_cpu_some'), 'is not', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('node_samples_pressure').ifExists().execute();
  await db.schema.dropIndex('guest_samples_pressure').ifExists().execute();
  await db.schema.alterTable('node_samples').dropColumn('arcsize').execute();
  for (const c of NODE) await db.schema.alterTable('node_samples').dropColumn(c).execute();
  for (const c of GUEST) await db.schema.alterTable('guest_samples').dropColumn(c).execute();
}
