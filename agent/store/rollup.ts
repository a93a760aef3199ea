// Incremental rollups of the raw (time-major) tables into the 5-minute and 1-hour tiers
// (guest-major). Both tiers are computed straight from raw, one aligned window at a time, so a
// window's rows for one guest land together: one page write per guest per tier per window.
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from './schema.ts';

type Trx = Transaction<Database> | Kysely<Database>;

export type RollupKind = 'guest' | 'node' | 'storage';
export type Tier = '5m' | '1h';
export const TIER_SECONDS: Record<Tier, number> = { '5m': 300, '1h': 3600 };

interface Agg {
  col: string;
  expr: string;
}

interface KindDef {
  raw: string;
  keys: string[];
  aggs: Agg[];
}

const avgInt = (c: string) => `cast(round(avg(${c})) as integer)`;

/** What each tier column is made of; the SQL is plain and runs on SQLite and PostgreSQL alike. */
export const ROLLUPS: Record<RollupKind, KindDef> = {
  guest: {
    raw: 'guest_samples',
    keys: ['cluster_id', 'vmid'],
    aggs: [
      { col: 'cpu_avg', expr: 'avg(cpu)' }, { col: 'cpu_max', expr: 'max(cpu)' },
      { col: 'mem_avg', expr: avgInt('mem') }, { col: 'mem_max', expr: 'max(mem)' },
      { col: 'disk_avg', expr: avgInt('disk') }, { col: 'disk_max', expr: 'max(disk)' },
      { col: 'netin_avg', expr: avgInt('netin_bps') }, { col: 'netin_max', expr: 'max(netin_bps)' },
      { col: 'netout_avg', expr: avgInt('netout_bps') }, { col: 'netout_max', expr: 'max(netout_bps)' },
      { col: 'diskread_avg', expr: avgInt('diskread_bps') }, { col: 'diskread_max', expr: 'max(diskread_bps)' },
      { col: 'diskwrite_avg', expr: avgInt('diskwrite_bps') }, { col: 'diskwrite_max', expr: 'max(diskwrite_bps)' },
    ],
  },
  node: {
    raw: 'node_samples',
    keys: ['cluster_id', 'node'],
    aggs: [
      { col: 'cpu_avg', expr: 'avg(cpu)' }, { col: 'cpu_max', expr: 'max(cpu)' },
      { col: 'iowait_avg', expr: 'avg(iowait)' }, { col: 'iowait_max', expr: 'max(iowait)' },
      { col: 'load1_avg', expr: 'avg(load1)' }, { col: 'load1_max', expr: 'max(load1)' },
      { col: 'mem_used_avg', expr: avgInt('mem_used') }, { col: 'mem_used_max', expr: 'max(mem_used)' },
      { col: 'mem_available_avg', expr: avgInt('mem_available') },
      { col: 'mem_total', expr: 'max(mem_total)' },
      { col: 'swap_used_avg', expr: avgInt('swap_used') },
      { col: 'rootfs_used_avg', expr: avgInt('rootfs_used') },
      { col: 'netin_avg', expr: avgInt('netin_bps') }, { col: 'netin_max', expr: 'max(netin_bps)' },
      { col: 'netout_avg', expr: avgInt('netout_bps') }, { col: 'netout_max', expr: 'max(netout_bps)' },
    ],
  },
  storage: {
    raw: 'storage_samples',
    keys: ['cluster_id', 'node', 'storage'],
    aggs: [
      { col: 'used_avg', expr: avgInt('used') }, { col: 'used_max', expr: 'max(used)' },
      { col: 'total', expr: 'max(total)' },
    ],
  },
};

function rollupSql(kind: RollupKind, tier: Tier, from: number, to: number): RawBuilder<unknown> {
  const d = ROLLUPS[kind];
  const step = TIER_SECONDS[tier];
  const cols = [...d.keys, 'ts', 'samples', ...d.aggs.map((a) => a.col)];
  const select = [...d.keys, `ts / ${step} * ${step}`, 'count(*)', ...d.aggs.map((a) => a.expr)];
  // Upsert: a window re-rolled after a backfill replaces its earlier rows — but never with fewer
  // samples, so re-rolling a window whose raw rows were partly pruned cannot shrink history.
  return sql`insert into ${sql.table(`${d.raw}_${tier}`)} (${sql.raw(cols.join(', '))})
    select ${sql.raw(select.join(', '))}
    from ${sql.table(d.raw)}
    where ts >= ${from} and ts < ${to}
    group by ${sql.raw([...d.keys, `ts / ${step} * ${step}`].join(', '))}
    order by ${sql.raw([...d.keys].join(', '))}
    on conflict (${sql.raw([...d.keys, 'ts'].join(', '))}) do update set
    ${sql.raw(['samples', ...d.aggs.map((a) => a.col)].map((c) => `${c} = excluded.${c}`).join(', '))}
    where excluded.samples >= ${sql.table(`${d.raw}_${tier}`)}.samples`;
}

/** Rolls raw rows with from ≤ ts < to into both tiers; returns rows written per tier. */
export async function rollupWindow(db: Trx, kind: RollupKind, from: number, to: number): Promise<Record<Tier, number>> {
  const out = { '5m': 0, '1h': 0 } as Record<Tier, number>;
  for (const tier of ['5m', '1h'] as const) {
    const res = await rollupSql(kind, tier, from, to).execute(db);
    out[tier] = Number(res.numAffectedRows ?? 0);
  }
  return out;
}

/** The oldest raw timestamp of a kind, or undefined when the raw table is empty. */
export async function oldestRawTs(db: Trx, kind: RollupKind): Promise<number | undefined> {
  const { rows } = await sql<{ ts: number | null }>`select min(ts) as ts from ${sql.table(ROLLUPS[kind].raw)}`.execute(db);
  return rows[0]?.ts ?? undefined;
}
