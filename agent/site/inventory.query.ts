// Reads the inventory and latest state the pages show: clusters, nodes (with their latest
// sample), guests, storages. One query per table per build; all cheap (one row per thing).
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export interface ClusterRow {
  id: number;
  name: string;
  pve_name: string | null;
  pve_version: string | null;
  quorate: number | null;
  node_count: number | null;
  endpoint: string | null;
  last_poll_at: number | null;
  last_ok_at: number | null;
  last_error: string | null;
  last_sample_ts: number | null;
}

export interface NodeRow {
  cluster_id: number;
  node: string;
  status: string;
  ip: string | null;
  maxcpu: number | null;
  mem_total: number | null;
  uptime: number | null;
  cpu_model: string | null;
  kernel: string | null;
  pve_version: string | null;
  last_seen: number;
  cpu: number | null;
  iowait: number | null;
  load1: number | null;
  load5: number | null;
  load15: number | null;
  mem_used: number | null;
  mem_available: number | null;
  swap_total: number | null;
  swap_used: number | null;
  rootfs_total: number | null;
  rootfs_used: number | null;
  netin_bps: number | null;
  netout_bps: number | null;
}

export interface GuestRow {
  cluster_id: number;
  vmid: number;
  type: 'qemu' | 'lxc';
  node: string;
  name: string | null;
  status: string;
  template: number;
  tags: string | null;
  pool: string | null;
  lock: string | null;
  hastate: string | null;
  maxcpu: number | null;
  maxmem: number | null;
  maxdisk: number | null;
  first_seen: number;
  changed_at: number;
}

export interface StorageRow {
  cluster_id: number;
  node: string;
  storage: string;
  type: string | null;
  content: string | null;
  shared: number;
  status: string;
  used: number | null;
  total: number | null;
  last_seen: number;
}

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

/** Guests not removed, in (cluster, vmid) order. */
export async function queryGuests(db: Kysely<Database>): Promise<GuestRow[]> {
  return db
    .selectFrom('guests')
    .select(['cluster_id', 'vmid', 'type', 'node', 'name', 'status', 'template', 'tags', 'pool', 'lock', 'hastate', 'maxcpu', 'maxmem', 'maxdisk', 'first_seen', 'changed_at'])
    .where('removed_at', 'is', null)
    .orderBy('cluster_id')
    .orderBy('vmid')
    .execute();
}

/** How many guests the site will have (a first build sizes its writers' spare files from it). */
export async function countGuests(db: Kysely<Database>): Promise<number> {
  const r = await db.selectFrom('guests').select((eb) => eb.fn.countAll<number>().as('n')).where('removed_at', 'is', null).executeTakeFirst();
  return Number(r?.n ?? 0);
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
