// The fleet overview (issue 17 item 5): the latest state of every guest, the overview columns of
// v_guest_latest, as row objects on both backends. On SQLite one prepared statement. On
// PostgreSQL the same rows as a plain select cost the server a join of every guest to its sample
// (~80 ms at 50,000 guests) and node-postgres a string and a parse per value (650,000 values,
// ~150 ms of client CPU), so it reads the per-cluster current state the cycle writes
// (guest-state.repository.ts): one row per cluster, one JSON.parse each.
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { isPostgres } from './pg-dialect.ts';
import { prepareCached, sqliteOf } from './sqlite-dialect.ts';
import { readGuestState, type ClusterGuestState } from './guest-state.repository.ts';

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

/** Every present guest's overview row, in no set order. */
export async function readFleetOverview(db: Kysely<Database>): Promise<FleetOverviewRow[]> {
  const sqlite = sqliteOf(db);
  if (sqlite) return prepareCached(sqlite, FLEET_OVERVIEW_SQL).all() as FleetOverviewRow[];
  if (!isPostgres(db)) throw new Error('readFleetOverview: neither the SQLite nor the PostgreSQL store');
  const out: FleetOverviewRow[] = [];
  await readGuestState(db, { inventory: false }, (state) => pushOverviewRows(out, state));
  return out;
}

/** A cluster's column arrays → one overview object per guest, appended to `out`. */
export function pushOverviewRows(out: FleetOverviewRow[], { cluster, latest: k }: ClusterGuestState): void {
  const vmid = k.vmid as number[];
  const name = k.name as Array<string | null>;
  const type = k.type as string[];
  const node = k.node as string[];
  const status = k.status as string[];
  const tags = k.tags as Array<string | null>;
  const cpu = k.cpu as Array<number | null>;
  const mem = k.mem as Array<number | null>;
  const maxmem = k.maxmem as Array<number | null>;
  const uptime = k.uptime as Array<number | null>;
  const netin = k.netin_bps as Array<number | null>;
  const netout = k.netout_bps as Array<number | null>;
  for (let i = 0; i < vmid.length; i++) {
    out.push({
      cluster, vmid: vmid[i]!, name: name[i]!, type: type[i]!, node: node[i]!, status: status[i]!, tags: tags[i]!,
      cpu: cpu[i]!, mem: mem[i]!, maxmem: maxmem[i]!, uptime: uptime[i]!, netin_bps: netin[i]!, netout_bps: netout[i]!,
    });
  }
}
