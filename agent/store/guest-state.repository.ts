// The fleet's current state on PostgreSQL (issue 17 item 5): per cluster, its present guests as
// of its last cycle, packed as JSON objects of column arrays in guest_state (migration 0130; a
// column of few distinct values as those values and an index per guest: packColumns),
// written by the cycle's own statement (pg-snapshot-writer.ts) or transaction (snapshot.repository.ts).
// Reading 50,000 guests is then 250 short rows and a JSON.parse each, instead of a join of
// guests to their samples and 650,000 values through node-postgres (db/README.md, "Reading the
// whole fleet"). Two texts per cluster: `latest` holds what the fleet overview shows, `inventory`
// the rest of the guests row, so the overview parses only the first. A cluster's row counts only
// while its ts is the cluster's last_sample_ts; for any other cluster (no row yet, an unlogged
// table emptied by a crash, a copied history) the reader builds the same objects from
// v_guest_latest. On SQLite the table stays empty: the plain reads are cheap there.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { ClusterSnapshot } from '../poll/cluster-snapshot.ts';
import type { Database } from './schema.ts';
import { int, isSampled, type KnownGuest } from './snapshot.repository.ts';

/** guest_state.latest: the overview's columns (but the cluster) of v_guest_latest. */
export const LATEST_COLUMNS = ['vmid', 'name', 'type', 'node', 'status', 'tags', 'cpu', 'mem', 'maxmem', 'uptime', 'netin_bps', 'netout_bps'] as const;
/** guest_state.inventory: the rest of the guests row. */
export const INVENTORY_COLUMNS = ['template', 'pool', 'lock', 'hastate', 'maxcpu', 'maxdisk', 'first_seen', 'changed_at'] as const;
export type GuestStateColumn = (typeof LATEST_COLUMNS)[number] | (typeof INVENTORY_COLUMNS)[number];

type Columns<K extends string> = Record<K, Array<string | number | null>>;

/** One cluster's present guests as column arrays, in vmid order; `inventory` only when asked for. */
export interface ClusterGuestState {
  cluster_id: number;
  cluster: string;
  latest: Columns<(typeof LATEST_COLUMNS)[number]>;
  inventory?: Columns<(typeof INVENTORY_COLUMNS)[number]>;
}

const num = (v: number | null | undefined): number | null => (v == null || !Number.isFinite(v) ? null : v);

/**
 * The guest_state texts of a cycle (pure): `now` is the cluster's guests rows as the cycle leaves
 * them (GuestPlan.now), the samples are the cycle's (the first of a vmid listed twice, as the
 * sample insert keeps). The values are those the tables receive, so the objects equal what
 * v_guest_latest then returns for the cluster.
 */
export function guestStateTexts(snap: ClusterSnapshot, now: ReadonlyMap<number, KnownGuest>): { latest: string; inventory: string } {
  const sampled = new Map<number, ClusterSnapshot['guests'][number]>();
  for (const g of snap.guests) if (isSampled(g) && !sampled.has(g.vmid)) sampled.set(g.vmid, g);
  const vmids = [...now.keys()].filter((v) => now.get(v)!.removed_at === null).sort((a, b) => a - b);
  const arrays = <K extends string>(cols: readonly K[]) => Object.fromEntries(cols.map((c) => [c, new Array<string | number | null>(vmids.length)])) as Record<K, Array<string | number | null>>;
  const l = arrays(LATEST_COLUMNS);
  const v = arrays(INVENTORY_COLUMNS);
  vmids.forEach((vmid, i) => {
    const r = now.get(vmid)!;
    const s = sampled.get(vmid);
    l.vmid[i] = vmid;
    l.name[i] = r.name;
    l.type[i] = r.type;
    l.node[i] = r.node;
    l.status[i] = r.status;
    l.tags[i] = r.tags;
    l.cpu[i] = s ? num(s.cpu) : null;
    l.mem[i] = s ? int(s.mem) : null;
    l.maxmem[i] = r.maxmem;
    l.uptime[i] = s ? int(s.uptime) : null;
    l.netin_bps[i] = s ? int(s.netinBps) : null;
    l.netout_bps[i] = s ? int(s.netoutBps) : null;
    v.template[i] = r.template;
    v.pool[i] = r.pool;
    v.lock[i] = r.lock;
    v.hastate[i] = r.hastate;
    v.maxcpu[i] = r.maxcpu;
    v.maxdisk[i] = r.maxdisk;
    v.first_seen[i] = r.first_seen;
    v.changed_at[i] = r.changed_at;
  });
  return { latest: JSON.stringify(packColumns(l)), inventory: JSON.stringify(packColumns(v)) };
}

/** A column as stored: its values, or (few distinct ones) `v` the distinct values and `i` each guest's index into `v`. */
type StoredColumn = Array<string | number | null> | { v: Array<string | number | null>; i: number[] };

/**
 * Columns of few distinct values (type, node, status, tags, maxmem, pool, …: at most one per four
 * guests) stored as distinct values and indexes: a fifth less text to send and parse, and one
 * string made per distinct value instead of one per guest. Plain arrays stay readable (the
 * fallback below and rows written before this packing make them).
 */
function packColumns(cols: Record<string, Array<string | number | null>>): Record<string, StoredColumn> {
  const out: Record<string, StoredColumn> = {};
  for (const [c, xs] of Object.entries(cols)) {
    const at = new Map<string | number | null, number>();
    const i = xs.map((x) => {
      let k = at.get(x);
      if (k === undefined) at.set(x, (k = at.size));
      return k;
    });
    out[c] = at.size * 4 <= xs.length ? { v: [...at.keys()], i } : xs;
  }
  return out;
}

/** packColumns undone in place: every column a plain array of values. */
function unpackColumns<T extends Record<string, unknown>>(cols: T): T {
  const o = cols as Record<string, StoredColumn>;
  for (const c in o) {
    const x = o[c]!;
    if (Array.isArray(x)) continue;
    const { v, i } = x;
    const values = new Array<string | number | null>(i.length);
    for (let k = 0; k < i.length; k++) values[k] = v[i[k]!]!;
    o[c] = values;
  }
  return cols;
}

const UPSERT_INTO = 'insert into guest_state (cluster_id, ts, latest, inventory)';
const UPSERT_TAIL = 'on conflict (cluster_id) do update set ts = excluded.ts, latest = excluded.latest, inventory = excluded.inventory';
/** The upsert of a cluster's guest_state row from a row source `select <cluster id>, <ts>, <latest>, <inventory>` (a CTE or VALUES). */
export const upsertGuestState = (source: RawBuilder<unknown>) => sql`${sql.raw(UPSERT_INTO)} ${source} ${sql.raw(UPSERT_TAIL)}`;
/** The same upsert as statement text, for the cycle statement, which is built as text. */
export const upsertGuestStateText = (source: string) => `${UPSERT_INTO} ${source} ${UPSERT_TAIL}`;

/** Every cluster with its guest_state texts when they are of its last cycle (else null). */
export const GUEST_STATE_SQL = `select c.id as cluster_id, c.name as cluster, s.latest, s.inventory
  from clusters c left join guest_state s on s.cluster_id = c.id and s.ts = c.last_sample_ts order by c.id`;
const LATEST_ONLY_SQL = GUEST_STATE_SQL.replace(', s.inventory', '');

// v_guest_latest per cluster as the same objects: the fallback for clusters without a current row
const pack = (cols: readonly string[]) => `json_build_object(${cols.map((c) => `'${c}', json_agg(${c} order by vmid)`).join(', ')})::text`;
const PACK_LATEST = sql.raw(`${pack(LATEST_COLUMNS)} as latest, ${pack(INVENTORY_COLUMNS)} as inventory`);

/**
 * Every cluster's present guests (PostgreSQL only), handed to `visit` one cluster at a time in
 * cluster id order: from its guest_state row when that is of the cluster's last cycle, else built
 * from v_guest_latest. `inventory`: also the rest of the guests row (else only the overview's
 * columns are read and parsed). One cluster at a time, its text dropped once parsed: the callers
 * turn each into row objects before the next is parsed, so the texts and column arrays of the
 * whole fleet are never alive at once (at 50,000 guests that halved the garbage collector's share
 * of the read; scripts/bench/fleet-overview-profile.ts).
 */
export async function readGuestState(db: Kysely<Database>, opts: { inventory: boolean }, visit: (state: ClusterGuestState) => void): Promise<void> {
  type Texts = { latest: string | null; inventory?: string | null };
  type Row = Texts & { cluster_id: number; cluster: string };
  const { rows } = await sql<Row>`${sql.raw(opts.inventory ? GUEST_STATE_SQL : LATEST_ONLY_SQL)}`.execute(db);
  const missing = rows.filter((r) => r.latest === null).map((r) => r.cluster_id);
  const built = new Map<number, Texts>();
  if (missing.length) {
    const fb = await sql<{ cluster_id: number; latest: string; inventory: string }>`select cluster_id, ${PACK_LATEST} from v_guest_latest where cluster_id = any(${missing}::int8[]) group by cluster_id`.execute(db);
    for (const x of fb.rows) built.set(x.cluster_id, x);
  }
  for (const r of rows) {
    const texts = r.latest !== null ? r : built.get(r.cluster_id);
    if (!texts) continue;
    const state: ClusterGuestState = { cluster_id: r.cluster_id, cluster: r.cluster, latest: unpackColumns(JSON.parse(texts.latest!) as ClusterGuestState['latest']) };
    if (opts.inventory) state.inventory = unpackColumns(JSON.parse(texts.inventory!) as NonNullable<ClusterGuestState['inventory']>);
    texts.latest = texts.inventory = null;
    visit(state);
  }
}
