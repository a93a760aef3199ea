// The fleet's current state on PostgreSQL (issue 17 item 5): per cluster, its present guests as
// of its last cycle, packed as one JSON object of column arrays in guest_state (migration 0130),
// written by the cycle's own statement (pg-snapshot-writer.ts) or transaction (snapshot.repository.ts).
// Reading 50,000 guests is then 250 short rows and one JSON.parse each, instead of a join of
// guests to their samples and 650,000 values through node-postgres (db/README.md, "Reading the
// whole fleet"). A cluster's row counts only while its ts is the cluster's last_sample_ts; for
// any other cluster (no row yet, an unlogged table emptied by a crash, a copied history) the
// reader builds the same object from v_guest_latest. SQLite has no such table and needs none.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { ClusterSnapshot } from '../poll/cluster-snapshot.ts';
import type { Database } from './schema.ts';
import { int, isSampled, type KnownGuest } from './snapshot.repository.ts';

/** The guests columns (but cluster_id) and the cycle's sample values packed per cluster, in this order. */
export const GUEST_STATE_COLUMNS = [
  'vmid', 'type', 'node', 'name', 'status', 'template', 'tags', 'pool', 'lock', 'hastate', 'maxcpu', 'maxmem', 'maxdisk', 'first_seen', 'changed_at',
  'uptime', 'cpu', 'mem', 'netin_bps', 'netout_bps',
] as const;
export type GuestStateColumn = (typeof GUEST_STATE_COLUMNS)[number];

/** One cluster's present guests as column arrays, in vmid order (JSON.parse of guest_state.columns). */
export type GuestStateColumns = Record<GuestStateColumn, Array<string | number | null>>;

/** One cluster's current state as read. */
export interface ClusterGuestState {
  cluster_id: number;
  cluster: string;
  columns: GuestStateColumns;
}

const num = (v: number | null | undefined): number | null => (v == null || !Number.isFinite(v) ? null : v);

/**
 * The guest_state object of a cycle (pure): `now` is the cluster's guests rows as the cycle leaves
 * them (GuestPlan.now), the samples are the cycle's (the first of a vmid listed twice, as the
 * sample insert keeps). The values are those the tables receive, so the object equals what
 * v_guest_latest then returns for the cluster.
 */
export function guestStateText(snap: ClusterSnapshot, now: ReadonlyMap<number, KnownGuest>): string {
  const sampled = new Map<number, ClusterSnapshot['guests'][number]>();
  for (const g of snap.guests) if (isSampled(g) && !sampled.has(g.vmid)) sampled.set(g.vmid, g);
  const vmids = [...now.keys()].filter((v) => now.get(v)!.removed_at === null).sort((a, b) => a - b);
  const out = Object.fromEntries(GUEST_STATE_COLUMNS.map((c) => [c, new Array<unknown>(vmids.length)])) as Record<GuestStateColumn, unknown[]>;
  vmids.forEach((vmid, i) => {
    const r = now.get(vmid)!;
    const s = sampled.get(vmid);
    out.vmid[i] = vmid;
    out.type[i] = r.type;
    out.node[i] = r.node;
    out.name[i] = r.name;
    out.status[i] = r.status;
    out.template[i] = r.template;
    out.tags[i] = r.tags;
    out.pool[i] = r.pool;
    out.lock[i] = r.lock;
    out.hastate[i] = r.hastate;
    out.maxcpu[i] = r.maxcpu;
    out.maxmem[i] = r.maxmem;
    out.maxdisk[i] = r.maxdisk;
    out.first_seen[i] = r.first_seen;
    out.changed_at[i] = r.changed_at;
    out.uptime[i] = s ? int(s.uptime) : null;
    out.cpu[i] = s ? num(s.cpu) : null;
    out.mem[i] = s ? int(s.mem) : null;
    out.netin_bps[i] = s ? int(s.netinBps) : null;
    out.netout_bps[i] = s ? int(s.netoutBps) : null;
  });
  return JSON.stringify(out);
}

/** The upsert of a cluster's guest_state row from a row source `select <cluster id>, <ts>, <text>` (a CTE or VALUES). */
export const upsertGuestState = (source: RawBuilder<unknown>) =>
  sql`insert into guest_state (cluster_id, ts, columns) ${source}
    on conflict (cluster_id) do update set ts = excluded.ts, columns = excluded.columns`;

/** Every cluster with its guest_state text when that is of its last cycle (else null). */
export const GUEST_STATE_SQL = `select c.id as cluster_id, c.name as cluster, s.columns
  from clusters c left join guest_state s on s.cluster_id = c.id and s.ts = c.last_sample_ts order by c.id`;

// v_guest_latest per cluster as the same object: the fallback for clusters without a current row
const PACK_LATEST = sql.raw(`json_build_object(${GUEST_STATE_COLUMNS.map((c) => `'${c}', json_agg(${c} order by vmid)`).join(', ')})::text`);

/**
 * Every cluster's present guests (PostgreSQL only), ordered by cluster id: its guest_state row
 * when that is of the cluster's last cycle, else the same object built from v_guest_latest.
 */
export async function readGuestState(db: Kysely<Database>): Promise<ClusterGuestState[]> {
  const { rows } = await sql<{ cluster_id: number; cluster: string; columns: string | null }>`${sql.raw(GUEST_STATE_SQL)}`.execute(db);
  const missing = rows.filter((r) => r.columns === null).map((r) => r.cluster_id);
  const built = new Map<number, string>();
  if (missing.length) {
    const fb = await sql<{ cluster_id: number; columns: string }>`select cluster_id, ${PACK_LATEST} as columns from v_guest_latest where cluster_id = any(${missing}::int8[]) group by cluster_id`.execute(db);
    for (const x of fb.rows) built.set(x.cluster_id, x.columns);
  }
  const out: ClusterGuestState[] = [];
  for (const r of rows) {
    const text = r.columns ?? built.get(r.cluster_id);
    if (text !== undefined) out.push({ cluster_id: r.cluster_id, cluster: r.cluster, columns: JSON.parse(text) as GuestStateColumns });
  }
  return out;
}
