// Time partitions of the sample tables on PostgreSQL (issue 17 item 1). Each sample table is
// declared `partition by range (ts)` (pg-schema-plugin.ts); this module creates its partitions
// ahead of time and drops whole partitions when a tier's retention passes them, instead of
// deleting rows (no dead tuples, no vacuum debt, no index bloat).
//
// Spans are fixed, aligned to the epoch (so every agent computes the same bounds): raw tables one
// UTC day, the 5-minute tier 7 days, the hourly tier 30 days. A DEFAULT partition per table takes
// any row outside the created range (a clock jump, a very old backfill) instead of failing the
// cycle; its rows are pruned by a plain delete.
import { sql, type Kysely } from 'kysely';

const DAY = 86_400;

/** Partitioned table → span of one partition in seconds. */
export const PARTITION_SPANS: ReadonlyMap<string, number> = new Map([
  ['guest_samples', DAY], ['node_samples', DAY], ['storage_samples', DAY],
  ['guest_pressure_samples', DAY], ['node_pressure_samples', DAY],
  ['guest_samples_5m', 7 * DAY], ['node_samples_5m', 7 * DAY], ['storage_samples_5m', 7 * DAY],
  ['guest_samples_1h', 30 * DAY], ['node_samples_1h', 30 * DAY], ['storage_samples_1h', 30 * DAY],
]);
export const PARTITIONED_TABLES: ReadonlySet<string> = new Set(PARTITION_SPANS.keys());

/** Partitions created ahead of now, so a cycle never waits for DDL at midnight. */
export const AHEAD_SECONDS = 7 * DAY;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- table names are dynamic here
type AnyDb = Kysely<any>;

function ymd(ts: number): string {
  return new Date(ts * 1000).toISOString().slice(0, 10).replaceAll('-', '');
}

/** The partition name for the span starting at `start` (epoch s): `<table>_p<yyyymmdd>`. */
export function partitionName(table: string, start: number): string {
  return `${table}_p${ymd(start)}`;
}

/** Span starts (epoch s, aligned) whose spans intersect [from, to]. Pure. */
export function spanStarts(span: number, from: number, to: number): number[] {
  const out: number[] = [];
  for (let s = Math.floor(from / span) * span; s <= to; s += span) out.push(s);
  return out;
}

/** Existing partitions of `table` with their bounds (from the catalog). */
export async function listPartitions(db: AnyDb, table: string): Promise<Array<{ name: string; from: number | null; to: number | null; isDefault: boolean }>> {
  const { rows } = await sql<{ name: string; bound: string }>`
    select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
    from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
    join pg_namespace n on n.oid = p.relnamespace
    where p.relname = ${table} and n.nspname = current_schema()`.execute(db);
  return rows.map((r) => {
    const m = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/.exec(r.bound);
    return { name: r.name, from: m ? Number(m[1]) : null, to: m ? Number(m[2]) : null, isDefault: r.bound === 'DEFAULT' };
  });
}

const DUPLICATE_TABLE = '42P07';
/** 23514: the default partition holds rows of the new range (we then leave that span to the default). */
const DEFAULT_HAS_ROWS = '23514';

/**
 * Creates the partitions of every partitioned table covering [from, to] (epoch s), and each
 * table's DEFAULT partition. Idempotent and safe when several agents run it at once.
 * Returns the partitions created.
 */
export async function ensurePartitions(db: AnyDb, from: number, to: number): Promise<string[]> {
  const created: string[] = [];
  for (const [table, span] of PARTITION_SPANS) {
    const existing = await listPartitions(db, table);
    const have = new Set(existing.map((p) => p.name));
    const todo: Array<{ name: string; ddl: ReturnType<typeof sql> }> = [];
    if (!existing.some((p) => p.isDefault)) {
      todo.push({ name: `${table}_default`, ddl: sql`create table if not exists ${sql.table(`${table}_default`)} partition of ${sql.table(table)} default` });
    }
    for (const start of spanStarts(span, from, to)) {
      const name = partitionName(table, start);
      if (have.has(name)) continue;
      todo.push({ name, ddl: sql`create table if not exists ${sql.table(name)} partition of ${sql.table(table)} for values from (${sql.lit(start)}) to (${sql.lit(start + span)})` });
    }
    for (const t of todo) {
      try {
        await t.ddl.execute(db);
        created.push(t.name);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === DUPLICATE_TABLE) continue; // another agent made it meanwhile
        if (code === DEFAULT_HAS_ROWS) continue; // rows of that span already sit in the default partition
        throw err;
      }
    }
  }
  return created;
}

/**
 * Drops the partitions of `table` that lie wholly before `before` (epoch s) and deletes the
 * default partition's rows older than that. A partition still holding one row younger than
 * `before` stays until its whole span has expired (retention is kept to within one span).
 * `rows` counts the default partition's deleted rows exactly and the dropped partitions by the
 * planner's estimate (pg_class.reltuples): counting a day of raw samples would read all of it.
 */
export async function dropPartitionsBefore(db: AnyDb, table: string, before: number): Promise<{ dropped: string[]; rows: number }> {
  const dropped: string[] = [];
  let rows = 0;
  for (const p of await listPartitions(db, table)) {
    if (p.isDefault || p.to === null || p.to > before) continue;
    const { rows: c } = await sql<{ n: number }>`select greatest(reltuples, 0)::bigint as n from pg_class where relname = ${p.name}`.execute(db);
    rows += Number(c[0]?.n ?? 0);
    await sql`drop table if exists ${sql.table(p.name)}`.execute(db);
    dropped.push(p.name);
  }
  const res = await sql`delete from ${sql.table(`${table}_default`)} where ts < ${before}`.execute(db);
  rows += Number(res.numAffectedRows ?? 0);
  return { dropped, rows };
}
