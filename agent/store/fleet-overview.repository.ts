// The fleet overview (issue 17 item 5): the latest state of every guest, the overview columns of
// v_guest_latest, as row objects on both backends. On SQLite one prepared statement. On
// PostgreSQL the same rows cost node-postgres a string and a parse per value (50,000 guests ×
// 13 columns: 650,000 values, ~150 ms of client CPU), so the server packs them per cluster, one
// JSON array per column (as queryPackedGuestSamples does for samples), and JSON.parse reads each
// array natively: one row per cluster instead of one per guest.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { isPostgres } from './pg-dialect.ts';
import { prepareCached, sqliteOf } from './sqlite-dialect.ts';

/** One guest's overview: inventory and its sample of the cluster's last cycle (metrics null when stopped). */
export interface FleetOverviewRow {
  cluster: string;
  vmid: number;
  name: string | null;
  type: string;
  node: string;
  status: string;
  tags: string | null;
  cpu: number | null;
  mem: number | null;
  maxmem: number | null;
  uptime: number | null;
  netin_bps: number | null;
  netout_bps: number | null;
}

/** The overview's columns of v_guest_latest, in this order. */
export const FLEET_OVERVIEW_COLUMNS = ['cluster', 'vmid', 'name', 'type', 'node', 'status', 'tags', 'cpu', 'mem', 'maxmem', 'uptime', 'netin_bps', 'netout_bps'] as const;
const LIST = FLEET_OVERVIEW_COLUMNS.join(', ');

/** The plain query (what a user types for "the latest state of every guest"); SQLite runs it as is. */
export const FLEET_OVERVIEW_SQL = `select ${LIST} from v_guest_latest`;

const PACKED = FLEET_OVERVIEW_COLUMNS.slice(1);
// All aggregates of a group see its rows in the same order, so the arrays line up index by index.
// Grouped by the cluster's id (an integer sort, not a collated one of the name), named after.
/** The PostgreSQL read: one row per cluster, each overview column (but the cluster) a JSON array text. */
export const FLEET_OVERVIEW_PG_PACKED_SQL = `select c.name as cluster, p.* from (
    select cluster_id, ${PACKED.map((c) => `json_agg(${c})::text as ${c}`).join(', ')}
    from v_guest_latest group by cluster_id
  ) p join clusters c on c.id = p.cluster_id`;

/** Every present guest's overview row, in no set order. */
export async function readFleetOverview(db: Kysely<Database>): Promise<FleetOverviewRow[]> {
  const sqlite = sqliteOf(db);
  if (sqlite) return prepareCached(sqlite, FLEET_OVERVIEW_SQL).all() as FleetOverviewRow[];
  if (!isPostgres(db)) throw new Error('readFleetOverview: neither the SQLite nor the PostgreSQL store');
  const { rows } = await sql<Record<string, string>>`${sql.raw(FLEET_OVERVIEW_PG_PACKED_SQL)}`.execute(db);
  return unpackFleetOverview(rows);
}

/** Per-cluster rows of JSON array texts (one per column) → one object per guest. Pure. */
export function unpackFleetOverview(rows: ReadonlyArray<Record<string, string>>): FleetOverviewRow[] {
  const out: FleetOverviewRow[] = [];
  for (const r of rows) {
    const cluster = r.cluster!;
    const vmid = JSON.parse(r.vmid!) as number[];
    const name = JSON.parse(r.name!) as Array<string | null>;
    const type = JSON.parse(r.type!) as string[];
    const node = JSON.parse(r.node!) as string[];
    const status = JSON.parse(r.status!) as string[];
    const tags = JSON.parse(r.tags!) as Array<string | null>;
    const cpu = JSON.parse(r.cpu!) as Array<number | null>;
    const mem = JSON.parse(r.mem!) as Array<number | null>;
    const maxmem = JSON.parse(r.maxmem!) as Array<number | null>;
    const uptime = JSON.parse(r.uptime!) as Array<number | null>;
    const netin = JSON.parse(r.netin_bps!) as Array<number | null>;
    const netout = JSON.parse(r.netout_bps!) as Array<number | null>;
    for (let i = 0; i < vmid.length; i++) {
      out.push({
        cluster, vmid: vmid[i]!, name: name[i]!, type: type[i]!, node: node[i]!, status: status[i]!, tags: tags[i]!,
        cpu: cpu[i]!, mem: mem[i]!, maxmem: maxmem[i]!, uptime: uptime[i]!, netin_bps: netin[i]!, netout_bps: netout[i]!,
      });
    }
  }
  return out;
}
