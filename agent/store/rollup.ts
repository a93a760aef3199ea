// Incremental rollups of the raw (time-major) tables into the 5-minute and 1-hour tiers
// (guest-major). Both tiers are computed straight from raw, one aligned window at a time, so a
// window's rows for one guest land together: one page write per guest per tier per window.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './schema.ts';
import { isPostgres } from './pg-dialect.ts';

type Trx = Transaction<Database> | Kysely<Database>;

export type RollupKind = 'guest' | 'node' | 'storage';
export type Tier = '5m' | '1h';
export const TIER_SECONDS: Record<Tier, number> = { '5m': 300, '1h': 3600 };

/** One tier column: the aggregate `fn` of raw column `src`. avgInt rounds to whole bytes. */
interface Agg {
  col: string;
  src: string;
  fn: 'avg' | 'avgInt' | 'max';
}

interface KindDef {
  raw: string;
  keys: string[];
  aggs: Agg[];
}

const avg = (col: string, src: string): Agg => ({ col, src, fn: 'avg' });
const avgInt = (col: string, src: string): Agg => ({ col, src, fn: 'avgInt' });
const max = (col: string, src: string): Agg => ({ col, src, fn: 'max' });

/** What each tier column is made of. */
export const ROLLUPS: Record<RollupKind, KindDef> = {
  guest: {
    raw: 'guest_samples',
    keys: ['cluster_id', 'vmid'],
    aggs: [
      avg('cpu_avg', 'cpu'), max('cpu_max', 'cpu'),
      avgInt('mem_avg', 'mem'), max('mem_max', 'mem'),
      avgInt('disk_avg', 'disk'), max('disk_max', 'disk'),
      avgInt('netin_avg', 'netin_bps'), max('netin_max', 'netin_bps'),
      avgInt('netout_avg', 'netout_bps'), max('netout_max', 'netout_bps'),
      avgInt('diskread_avg', 'diskread_bps'), max('diskread_max', 'diskread_bps'),
      avgInt('diskwrite_avg', 'diskwrite_bps'), max('diskwrite_max', 'diskwrite_bps'),
    ],
  },
  node: {
    raw: 'node_samples',
    keys: ['cluster_id', 'node'],
    aggs: [
      avg('cpu_avg', 'cpu'), max('cpu_max', 'cpu'),
      avg('iowait_avg', 'iowait'), max('iowait_max', 'iowait'),
      avg('load1_avg', 'load1'), max('load1_max', 'load1'),
      avgInt('mem_used_avg', 'mem_used'), max('mem_used_max', 'mem_used'),
      avgInt('mem_available_avg', 'mem_available'),
      max('mem_total', 'mem_total'),
      avgInt('swap_used_avg', 'swap_used'),
      avgInt('rootfs_used_avg', 'rootfs_used'),
      avgInt('netin_avg', 'netin_bps'), max('netin_max', 'netin_bps'),
      avgInt('netout_avg', 'netout_bps'), max('netout_max', 'netout_bps'),
    ],
  },
  storage: {
    raw: 'storage_samples',
    keys: ['cluster_id', 'node', 'storage'],
    aggs: [avgInt('used_avg', 'used'), max('used_max', 'used'), max('total', 'total')],
  },
};

/** The upsert that merges a window's aggregated rows; `values` is a SELECT or a VALUES list. */
function upsertTail(kind: RollupKind, tier: Tier): string {
  const d = ROLLUPS[kind];
  const table = `${d.raw}_${tier}`;
  // A window re-rolled after a backfill replaces its earlier rows — but never with fewer
  // samples, so re-rolling a window whose raw rows were partly pruned cannot shrink history.
  return `on conflict (${[...d.keys, 'ts'].join(', ')}) do update set
    ${['samples', ...d.aggs.map((a) => a.col)].map((c) => `${c} = excluded.${c}`).join(', ')}
    where excluded.samples >= ${table}.samples`;
}

/** A range of series keys, e.g. [cluster_id, vmid]: after < key ≤ upTo (open ends when absent). */
export interface KeySlice {
  after?: Array<string | number>;
  upTo?: Array<string | number>;
}

/**
 * Rolls raw rows with from ≤ ts < to (and series keys in `slice`) into both tiers; returns rows
 * written per tier.
 * The window is grouped ONCE into a temp table of 5-minute partial sums (sum, count, max per
 * column); the 5m rows and the 1h rows are both made from it. Grouping sorts the window, which
 * is the expensive part, so doing it once instead of per tier halves the time. Rows are inserted
 * in key order so each series' pages are touched once. Plain SQL (also valid on PostgreSQL).
 */
export async function rollupWindow(trx: Trx, kind: RollupKind, from: number, to: number, slice: KeySlice = {}): Promise<Record<Tier, number>> {
  const d = ROLLUPS[kind];
  const keyTuple = sql.join(d.keys.map((k) => sql.ref(k)));
  // Row-value comparisons (SQLite ≥ 3.15, PostgreSQL) select the series slice (after, upTo].
  const inSlice = sql.join(
    [
      sql`true`,
      ...(slice.after ? [sql`(${keyTuple}) > (${sql.join(slice.after)})`] : []),
      ...(slice.upTo ? [sql`(${keyTuple}) <= (${sql.join(slice.upTo)})`] : []),
    ],
    sql` and `,
  );
  const srcs = [...new Set(d.aggs.map((a) => a.src))];
  const keys = d.keys.join(', ');
  const tmp = `rollup_${kind}_window`;
  // the temp schema is `temp` on SQLite and `pg_temp` on PostgreSQL (#17)
  const tempTable = `${isPostgres(trx) ? 'pg_temp' : 'temp'}.${tmp}`;
  await sql`drop table if exists ${sql.raw(tempTable)}`.execute(trx);
  await sql`create temp table ${sql.raw(tmp)} as
    select ${sql.raw(keys)}, ts / 300 * 300 as b5, ts / 3600 * 3600 as b1, count(*) as n,
      ${sql.raw(srcs.map((c) => `sum(${c}) as s_${c}, count(${c}) as c_${c}, max(${c}) as m_${c}`).join(', '))}
    from ${sql.table(d.raw)}
    where ts >= ${from} and ts < ${to} and ${inSlice}
    group by ${sql.raw(keys)}, ts / 300 * 300, ts / 3600 * 3600`.execute(trx); // b1 follows from b5, but PostgreSQL wants it grouped by name
  const cols = [...d.keys, 'ts', 'samples', ...d.aggs.map((a) => a.col)].join(', ');
  const fromPartials = (a: Agg, grouped: boolean): string => {
    const S = grouped ? `sum(s_${a.src})` : `s_${a.src}`;
    const C = grouped ? `sum(c_${a.src})` : `c_${a.src}`;
    const M = grouped ? `max(m_${a.src})` : `m_${a.src}`;
    const mean = `cast(${S} as double precision) / nullif(${C}, 0)`;
    return a.fn === 'max' ? M : a.fn === 'avg' ? mean : `cast(round(${mean}) as bigint)`;
  };
  const out = { '5m': 0, '1h': 0 } as Record<Tier, number>;
  const r5 = await sql`insert into ${sql.table(`${d.raw}_5m`)} (${sql.raw(cols)})
    select ${sql.raw(keys)}, b5, n, ${sql.raw(d.aggs.map((a) => fromPartials(a, false)).join(', '))}
    from ${sql.raw(tmp)} where true
    order by ${sql.raw(keys)}, b5
    ${sql.raw(upsertTail(kind, '5m'))}`.execute(trx);
  out['5m'] = Number(r5.numAffectedRows ?? 0);
  const r1 = await sql`insert into ${sql.table(`${d.raw}_1h`)} (${sql.raw(cols)})
    select ${sql.raw(keys)}, b1, sum(n), ${sql.raw(d.aggs.map((a) => fromPartials(a, true)).join(', '))}
    from ${sql.raw(tmp)} where true
    group by ${sql.raw(keys)}, b1
    order by ${sql.raw(keys)}, b1
    ${sql.raw(upsertTail(kind, '1h'))}`.execute(trx);
  out['1h'] = Number(r1.numAffectedRows ?? 0);
  await sql`drop table ${sql.raw(tempTable)}`.execute(trx);
  return out;
}

/** The oldest raw timestamp of a kind, or undefined when the raw table is empty. */
export async function oldestRawTs(db: Trx, kind: RollupKind): Promise<number | undefined> {
  const { rows } = await sql<{ ts: number | null }>`select min(ts) as ts from ${sql.table(ROLLUPS[kind].raw)}`.execute(db);
  return rows[0]?.ts ?? undefined;
}
