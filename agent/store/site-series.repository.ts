// Reads chart series from the rolled-up tiers, already encoded as compact JSON arrays by SQLite
// (group_concat): a bucket of 100 guests × 288 points becomes 100 short strings instead of
// 28,800 row objects, which is what keeps a full build of 10,000 guests inside its budget.
// Numbers are rounded to display precision here (3 significant digits, MiB for memory).
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './schema.ts';
import { isPostgres } from './pg-dialect.ts';

/** One encoded series: timestamps are t0 + i[k] * step; metric arrays are JSON array bodies. */
export interface EncodedSeries {
  key: string;
  t0: number;
  step: number;
  i: string;
  metrics: Record<string, string>;
}

// printf('%.3g', NULL) writes 0, not NULL: a gap (no value in the period) is tested first, so it
// stays a gap in the chart, as on PostgreSQL, instead of a 0 nobody measured.
const sig = (expr: string) => `iif(${expr} IS NULL, 'null', printf('%.3g', ${expr}))`;
/** Rates in KiB/s with 3 significant digits ("25.7"): shorter than bytes/s in exponent form. */
const kib = (expr: string) => sig(`(${expr}) / 1024.0`);
const mib = (expr: string) => `coalesce(cast(round((${expr}) / 1048576.0) as integer), 'null')`;

/** Guest metrics: name → SQL aggregate over a rollup row set (s.*). */
export const GUEST_TIER_METRICS: Record<string, string> = {
  cpu: 'avg(s.cpu_avg) * 100',
  mem: 'avg(s.mem_avg)',
  disk: 'avg(s.disk_avg)',
  ni: 'avg(s.netin_avg)',
  no: 'avg(s.netout_avg)',
  dr: 'avg(s.diskread_avg)',
  dw: 'avg(s.diskwrite_avg)',
};
const GUEST_ENCODE: Record<string, (e: string) => string> = { cpu: sig, mem: mib, disk: mib, ni: kib, no: kib, dr: kib, dw: kib };

// PostgreSQL (#17): no printf('%.3g'), and coalesce does not mix numbers with 'null' text. The
// same numbers, written plainly: 3 significant digits by rounding at the value's magnitude
// (1234 → 1230 where %.3g writes 1.23e+03: the same JSON number), whole MiB as text.
// All in float8: numeric's log, round and division cost several µs a value (30 days of 5-minute
// points of one guest took 60+ ms of server time, 150 ms with every metric present). Each value
// is computed once, as a float8 column of an ordered subquery (scaled there: KiB = bytes / 1024,
// exact), and the encoders below only refer to that column: an encoder repeats its argument
// several times, and PostgreSQL evaluates a repeated expression each time. Scaled to three
// digits, rounded half away from zero as SQLite's printf does (float8's round() goes to even),
// scaled back (dividing by a power of ten, so 0.000123 is the double nearest 0.000123, which
// float8 prints as 0.000123).
const pgSig = (v: string) => {
  const e = `floor(log(abs(${v})))`;
  return `case when ${v} is null then 'null' when ${v} = 0 then '0' when ${e} >= 2 then (sign(${v}) * floor(abs(${v}) / 10 ^ (${e} - 2) + 0.5) * 10 ^ (${e} - 2))::text else (sign(${v}) * floor(abs(${v}) * 10 ^ (2 - ${e}) + 0.5) / 10 ^ (2 - ${e}))::text end`;
};
/** Whole MiB, half away from zero (as SQLite's round), from bytes as float8 (/ 2^20 is exact). */
const pgMib = (v: string) => `case when ${v} is null then 'null' else (sign(${v}) * floor(abs(${v}) / 1048576 + 0.5))::bigint::text end`;
/** How each encoder's value is computed on PostgreSQL (as float8, once, in the ordered subquery) and then written. */
const pgOf = (enc: (e: string) => string): { value: (e: string) => string; write: (v: string) => string } =>
  enc === kib ? { value: (e) => `cast(${e} as float8) / 1024`, write: pgSig } : enc === mib ? { value: (e) => `cast(${e} as float8)`, write: pgMib } : { value: (e) => `cast(${e} as float8)`, write: pgSig };
/**
 * The select list of a series' metrics over a row set: SQLite's aggregates as they are,
 * PostgreSQL's as the float8 values its encoders take. There each avg() is taken over float8, as
 * SQLite's avg is (a double): avg of a bigint is numeric in PostgreSQL, and its per-group division
 * and cast took about 40 % of a grouped read's server time (2-hour and daily points).
 */
const metricCols = (db: Kysely<Database>, metrics: Record<string, string>, encode: Record<string, (e: string) => string>) =>
  Object.entries(metrics).map(([n, e]) => `${isPostgres(db) ? pgOf(encode[n]!).value(e.replace(/avg\(([^()]+)\)/g, 'avg(($1)::float8)')) : e} AS "${n}"`).join(', ');

export const NODE_TIER_METRICS: Record<string, string> = {
  cpu: 'avg(s.cpu_avg) * 100',
  io: 'avg(s.iowait_avg) * 100',
  load: 'avg(s.load1_avg)',
  mem: 'avg(s.mem_used_avg)',
  avail: 'avg(s.mem_total - s.mem_available_avg)',
  ni: 'avg(s.netin_avg)',
  no: 'avg(s.netout_avg)',
};
const NODE_ENCODE: Record<string, (e: string) => string> = { cpu: sig, io: sig, load: sig, mem: mib, avail: mib, ni: kib, no: kib };

export type Tier = '5m' | '1h';

const TIER_STEP: Record<Tier, number> = { '5m': 300, '1h': 3600 };

export interface TierQuery {
  tier: Tier;
  /** First timestamp included; also the t0 the offsets count from. */
  from: number;
  /** Seconds per point: the tier's own step, or a multiple to group (2 h, 1 day). */
  group: number;
}

function build(
  db: Kysely<Database>,
  inner: RawBuilder<unknown>,
  metrics: Record<string, string>,
  encode: Record<string, (e: string) => string>,
): RawBuilder<Record<string, string | number>> {
  const names = Object.keys(metrics);
  if (isPostgres(db)) {
    // `inner` is ordered by (k, b), its metric columns float8 (metricCols): the aggregates take
    // the rows in that order (PostgreSQL 15 would sort again for each `string_agg(… order by b)`).
    const cols = names.map((n) => `string_agg(${pgOf(encode[n]!).write(`"${n}"`)}, ',') AS "${n}"`).join(', ');
    return sql<Record<string, string | number>>`SELECT k, string_agg(b::text, ',') AS i, ${sql.raw(cols)} FROM (${inner}) AS x GROUP BY k ORDER BY k`;
  }
  // SQLite's group_concat follows the rows' order
  const outer = names.map((n) => `group_concat(${encode[n]!(`"${n}"`)}) AS "${n}"`).join(', ');
  return sql<Record<string, string | number>>`SELECT k, group_concat(b) AS i, ${sql.raw(outer)} FROM (${inner}) AS x GROUP BY k ORDER BY k`;
}

/** Whether comma-joined integers ascend strictly; scanned in place (no array per series). */
function ascending(list: string): boolean {
  let prev = -Infinity;
  let n = 0;
  let digits = false;
  let neg = false;
  for (let k = 0; k <= list.length; k++) {
    const c = k < list.length ? list.charCodeAt(k) : 44;
    if (c === 44) {
      if (!digits) return false;
      const v = neg ? -n : n;
      if (v <= prev) return false;
      prev = v;
      n = 0;
      digits = false;
      neg = false;
    } else if (c === 45 && !digits) neg = true;
    else if (c >= 48 && c <= 57) {
      n = n * 10 + (c - 48);
      digits = true;
    } else return false;
  }
  return true;
}

/**
 * One series row with its points in time order. PostgreSQL 16 and later may run `string_agg` in
 * parallel workers and join their partial lists in any order (the ordered subquery fixes the
 * order only for one process); the points and their offsets `i` stay paired, so sorting by `i`
 * restores the series. Rows already in order pass after one scan of `i`.
 */
export function inPointOrder(row: Record<string, string | number>, names: string[]): Record<string, string | number> {
  const i = String(row.i ?? '');
  if (i === '' || ascending(i)) return row;
  const offsets = i.split(',').map(Number);
  const order = offsets.map((_, k) => k).sort((a, b) => offsets[a]! - offsets[b]!);
  const out: Record<string, string | number> = { ...row, i: order.map((k) => offsets[k]).join(',') };
  for (const n of names) {
    const vals = String(row[n] ?? '').split(',');
    if (vals.length === offsets.length) out[n] = order.map((k) => vals[k]).join(',');
  }
  return out;
}

function toSeries(db: Kysely<Database>, rows: Array<Record<string, string | number>>, q: TierQuery, names: string[]): EncodedSeries[] {
  // SQLite's group_concat follows the rows' order (one process); PostgreSQL's may not, see above
  return (isPostgres(db) ? rows.map((x) => inPointOrder(x, names)) : rows).map((r) => ({
    key: String(r.k),
    t0: q.from,
    step: q.group,
    i: String(r.i ?? ''),
    metrics: Object.fromEntries(names.map((n) => [n, String(r[n] ?? '')])),
  }));
}

/** Tier series of the live guests of one cluster with lo ≤ vmid ≤ hi. */
export async function queryGuestTierSeries(
  db: Kysely<Database>,
  clusterId: number,
  lo: number,
  hi: number,
  q: TierQuery,
  /** Only guests whose vmid % parts is one of these (a bucket's parts due this cycle). */
  part?: { parts: number; due: number[] },
): Promise<EncodedSeries[]> {
  const table = sql.table(`guest_samples_${q.tier}`);
  // Integers only (computed here, never user input), so inlining them is safe.
  const only = part && part.parts > 1 ? sql.raw(` AND g.vmid % ${Math.trunc(part.parts)} IN (${part.due.map((d) => Math.trunc(d)).join(',') || '-1'})`) : sql.raw('');
  /** The metrics read straight from the rows (one row per point): no avg() to take. */
  const perRow = () => Object.fromEntries(Object.entries(GUEST_TIER_METRICS).map(([n, e]) => [n, e.replace(/avg\((s\.[a-z_]+)\)/g, '$1')]));
  if (q.group === TIER_STEP[q.tier] && isPostgres(db)) {
    // PostgreSQL 15 sorts again for every `string_agg(… order by ts)` (eight per guest): the rows
    // come in (vmid, ts) order from an ordered subquery instead, which build()'s aggregates keep;
    // the subquery computes each value once, as float8 (metricCols), for the encoders to refer to.
    const inner = sql`SELECT g.vmid AS k, CAST((s.ts - ${Math.trunc(q.from)}) / ${Math.trunc(q.group)} AS INTEGER) AS b, ${sql.raw(metricCols(db, perRow(), GUEST_ENCODE))}
        FROM guests g JOIN ${table} s ON s.cluster_id = g.cluster_id AND s.vmid = g.vmid AND s.ts >= ${q.from} AND s.vmid >= ${lo} AND s.vmid <= ${hi}
        WHERE g.cluster_id = ${clusterId} AND g.vmid >= ${lo} AND g.vmid <= ${hi} AND g.removed_at IS NULL${only}
        ORDER BY g.vmid, s.ts`;
    const r = await build(db, inner, GUEST_TIER_METRICS, GUEST_ENCODE).execute(db);
    return toSeries(db, r.rows, q, Object.keys(GUEST_TIER_METRICS));
  }
  if (q.group === TIER_STEP[q.tier]) {
    // One row per point already: encode straight from the index range, no grouping sort.
    const cols = Object.entries(perRow())
      .map(([n, e]) => `group_concat(${GUEST_ENCODE[n]!(e)}) AS "${n}"`)
      .join(', ');
    const r = await sql<Record<string, string | number>>`SELECT g.vmid AS k, group_concat(CAST((s.ts - ${Math.trunc(q.from)}) / ${Math.trunc(q.group)} AS INTEGER)) AS i, ${sql.raw(cols)}
      FROM guests g JOIN ${table} s ON s.cluster_id = g.cluster_id AND s.vmid = g.vmid AND s.ts >= ${q.from}
      WHERE g.cluster_id = ${clusterId} AND g.vmid >= ${lo} AND g.vmid <= ${hi} AND g.removed_at IS NULL${only}
      GROUP BY g.vmid ORDER BY g.vmid`.execute(db);
    return toSeries(db, r.rows, q, Object.keys(GUEST_TIER_METRICS));
  }
  const agg = metricCols(db, GUEST_TIER_METRICS, GUEST_ENCODE);
  const inner = sql`SELECT g.vmid AS k, CAST((s.ts - ${q.from}) / ${q.group} AS INTEGER) AS b, ${sql.raw(agg)}
    FROM guests g JOIN ${table} s ON s.cluster_id = g.cluster_id AND s.vmid = g.vmid AND s.ts >= ${q.from} AND s.vmid >= ${lo} AND s.vmid <= ${hi}
    WHERE g.cluster_id = ${clusterId} AND g.vmid >= ${lo} AND g.vmid <= ${hi} AND g.removed_at IS NULL${only}
    GROUP BY g.vmid, b ORDER BY g.vmid, b`;
  const r = await build(db, inner, GUEST_TIER_METRICS, GUEST_ENCODE).execute(db);
  return toSeries(db, r.rows, q, Object.keys(GUEST_TIER_METRICS));
}

/** Tier series of every node of a cluster. */
export async function queryNodeTierSeries(db: Kysely<Database>, clusterId: number, q: TierQuery): Promise<EncodedSeries[]> {
  const table = sql.table(`node_samples_${q.tier}`);
  const agg = metricCols(db, NODE_TIER_METRICS, NODE_ENCODE);
  const inner = sql`SELECT n.node AS k, CAST((s.ts - ${q.from}) / ${q.group} AS INTEGER) AS b, ${sql.raw(agg)}
    FROM nodes n JOIN ${table} s ON s.cluster_id = n.cluster_id AND s.node = n.node AND s.ts >= ${q.from}
    WHERE n.cluster_id = ${clusterId}
    GROUP BY n.node, b ORDER BY n.node, b`;
  const r = await build(db, inner, NODE_TIER_METRICS, NODE_ENCODE).execute(db);
  return toSeries(db, r.rows, q, Object.keys(NODE_TIER_METRICS));
}

/**
 * Fill level (percent) of every storage of a cluster, keyed "node/storage". The aggregates are
 * made in windows (hours behind), so raw samples newer than the cluster's last aggregate bucket
 * fill in the rest (charts #14 item 4: the fill chart stayed empty until the first rollup).
 */
export async function queryStorageTierSeries(db: Kysely<Database>, clusterId: number, q: TierQuery): Promise<EncodedSeries[]> {
  const table = sql.table(`storage_samples_${q.tier}`);
  const bucket = q.tier === '5m' ? 300 : 3600;
  const inner = sql`SELECT k, b, ${sql.raw(metricCols(db, { pct: 'avg(p)' }, { pct: sig }))} FROM (
      SELECT s.node || '/' || s.storage AS k, CAST((s.ts - ${q.from}) / ${q.group} AS INTEGER) AS b, s.used_avg * 100.0 / nullif(s.total, 0) AS p
      FROM ${table} s WHERE s.cluster_id = ${clusterId} AND s.ts >= ${q.from}
      UNION ALL
      SELECT r.node || '/' || r.storage, CAST((r.ts - ${q.from}) / ${q.group} AS INTEGER), r.used * 100.0 / nullif(r.total, 0)
      FROM storage_samples r WHERE r.cluster_id = ${clusterId} AND r.ts >= ${q.from}
        AND r.ts >= coalesce((SELECT max(a.ts) FROM ${table} a WHERE a.cluster_id = ${clusterId}) + ${bucket}, ${q.from})
    ) u GROUP BY k, b ORDER BY k, b`; // the alias: PostgreSQL before 16 wants one
  const r = await build(db, inner, { pct: '' }, { pct: sig }).execute(db);
  return toSeries(db, r.rows, q, ['pct']);
}
