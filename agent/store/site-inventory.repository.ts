// Reads the inventory and latest state the pages show: clusters, nodes (with their latest
// sample), guests, storages. One query per table per build; all cheap (one row per thing).
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, ClustersTable, GuestsTable, NodeSamplesTable, NodesTable, StoragesTable } from './schema.ts';
import { isPostgres } from './pg-dialect.ts';
import { readGuestState, type ClusterGuestState } from './guest-state.repository.ts';

// Row shapes are derived from the schema's table types, so a column change shows up here.
export type ClusterRow = Pick<Selectable<ClustersTable>, 'id' | 'name' | 'pve_name' | 'pve_version' | 'quorate' | 'node_count' | 'endpoint' | 'last_poll_at' | 'last_ok_at' | 'last_error' | 'last_sample_ts'>;

/** A node's inventory row with its latest sample. */
export type NodeRow = Pick<NodesTable, 'cluster_id' | 'node' | 'status' | 'ip' | 'maxcpu' | 'mem_total' | 'uptime' | 'cpu_model' | 'kernel' | 'pve_version' | 'last_seen'> &
  Pick<NodeSamplesTable, 'cpu' | 'iowait' | 'load1' | 'load5' | 'load15' | 'mem_used' | 'mem_available' | 'swap_total' | 'swap_used' | 'rootfs_total' | 'rootfs_used' | 'netin_bps' | 'netout_bps'>;

export type GuestRow = Omit<GuestsTable, 'removed_at'>;

export type StorageRow = Omit<StoragesTable, 'first_seen'>;

/** All configured-and-seen clusters, by name. */
export async function queryClusters(db: Kysely<Database>): Promise<ClusterRow[]> {
  return db
    .selectFrom('clusters')
    .select(['id', 'name', 'pve_name', 'pve_version', 'quorate', 'node_count', 'endpoint', 'last_poll_at', 'last_ok_at', 'last_error', 'last_sample_ts'])
    .orderBy('name')
    .execute();
}

/** Nodes with the values of their sample at the cluster's last sample time (null when offline). */
export async function queryNodes(db: Kysely<Database>): Promise<NodeRow[]> {
  const r = await sql<NodeRow>`
    SELECT n.cluster_id, n.node, n.status, n.ip, n.maxcpu, n.mem_total, n.uptime, n.cpu_model, n.kernel,
           n.pve_version, n.last_seen, s.cpu, s.iowait, s.load1, s.load5, s.load15, s.mem_used, s.mem_available,
           s.swap_total, s.swap_used, s.rootfs_total, s.rootfs_used, s.netin_bps, s.netout_bps
    FROM nodes n
    JOIN clusters c ON c.id = n.cluster_id
    LEFT JOIN node_samples s ON s.ts = c.last_sample_ts AND s.cluster_id = n.cluster_id AND s.node = n.node
    ORDER BY n.cluster_id, n.node`.execute(db);
  return r.rows;
}

/**
 * Guests not removed, in (cluster, vmid) order. On PostgreSQL from each cluster's current state
 * (guest-state.repository.ts): 50,000 rows of 16 columns as plain rows cost node-postgres ~200 ms.
 */
export async function queryGuests(db: Kysely<Database>): Promise<GuestRow[]> {
  if (isPostgres(db)) {
    const out: GuestRow[] = [];
    await readGuestState(db, { inventory: true }, (state) => pushGuestRows(out, state));
    return out;
  }
  return db
    .selectFrom('guests')
    .select(['cluster_id', 'vmid', 'type', 'node', 'name', 'status', 'template', 'tags', 'pool', 'lock', 'hastate', 'maxcpu', 'maxmem', 'maxdisk', 'first_seen', 'changed_at'])
    .where('removed_at', 'is', null)
    .orderBy('cluster_id')
    .orderBy('vmid')
    .execute();
}

/** A cluster's column arrays (with the inventory) → GuestRow objects in vmid order, appended to `out`. */
export function pushGuestRows(out: GuestRow[], { cluster_id, latest: l, inventory: v }: ClusterGuestState): void {
  if (!v) throw new Error('pushGuestRows: read without the inventory');
  for (let i = 0; i < l.vmid.length; i++) {
    out.push({
      cluster_id, vmid: l.vmid[i] as number, type: l.type[i] as GuestRow['type'], node: l.node[i] as string, name: l.name[i] as string | null,
      status: l.status[i] as string, template: v.template[i] as number, tags: l.tags[i] as string | null, pool: v.pool[i] as string | null,
      lock: v.lock[i] as string | null, hastate: v.hastate[i] as string | null, maxcpu: v.maxcpu[i] as number | null, maxmem: l.maxmem[i] as number | null,
      maxdisk: v.maxdisk[i] as number | null, first_seen: v.first_seen[i] as number, changed_at: v.changed_at[i] as number,
    });
  }
}

/**
 * A value that changes whenever any guest row does: the store sets changed_at to the snapshot's
 * time on every insert, update and removal, so the sum moves (rows are never deleted).
 */
export async function guestsSignature(db: Kysely<Database>): Promise<string> {
  const r = await sql<{ n: number; s: number | null }>`SELECT count(*) AS n, sum(changed_at) AS s FROM guests`.execute(db);
  return `${r.rows[0]?.n ?? 0}:${r.rows[0]?.s ?? 0}`;
}

/** Storages' latest state. */
export async function queryStorages(db: Kysely<Database>): Promise<StorageRow[]> {
  return db
    .selectFrom('storages')
    .select(['cluster_id', 'node', 'storage', 'type', 'content', 'shared', 'status', 'used', 'total', 'last_seen'])
    .orderBy('cluster_id')
    .orderBy('storage')
    .orderBy('node')
    .execute();
}
