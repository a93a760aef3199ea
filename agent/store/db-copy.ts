// Moves an existing SQLite history into PostgreSQL (issue 17 item 6): every table, in batches,
// with progress, then a row count check per table. The target is migrated first (so it has the
// same schema, partitions included) and must be empty: a copy never merges into live data.
// Stop the agent on the SQLite file first (the copy reads one consistent snapshot of it anyway:
// one read transaction).
import type SqliteDatabase from 'better-sqlite3';
import type pg from 'pg';
import { sql } from 'kysely';
import { PmiError } from '../errors.ts';
import type { Store } from './open-database.ts';
import type { PgStore } from './open-store.ts';
import { ensurePartitions, PARTITIONED_TABLES } from './pg-partitions.ts';

export interface CopyProgress {
  table: string;
  done: number;
  total: number;
  /** Rows copied in all tables so far, and in all. */
  allDone: number;
  allTotal: number;
}

export interface CopyResult {
  tables: Array<{ table: string; source: number; target: number }>;
  rows: number;
  mismatches: string[];
}

/** PostgreSQL takes at most 65,535 parameters per statement. */
const MAX_PARAMS = 60_000;

/** Tables to copy, parents first (clusters is referenced by nodes, guests, storages). Pure. */
export function copyOrder(tables: readonly string[]): string[] {
  const rest = tables.filter((t) => t !== 'clusters').sort();
  return tables.includes('clusters') ? ['clusters', ...rest] : rest;
}

function sourceTables(src: SqliteDatabase.Database): string[] {
  const rows = src.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%'").all() as Array<{ name: string }>;
  return copyOrder(rows.map((r) => r.name));
}

const quote = (id: string) => `"${id.replaceAll('"', '""')}"`;

export async function copySqliteToPostgres(source: Store, target: PgStore, opts: { batchRows?: number; onProgress?: (p: CopyProgress) => void } = {}): Promise<CopyResult> {
  const src = source.sqlite;
  const tables = sourceTables(src);
  const { rows: nonEmpty } = await sql<{ n: number }>`select count(*) as n from clusters`.execute(target.db);
  if (Number(nonEmpty[0]?.n ?? 0) > 0) {
    throw new PmiError('CONFIG_INVALID', `the target database ${target.url} already holds data (clusters is not empty); copy into a new, empty database`);
  }
  src.exec('begin'); // one consistent snapshot of the source for the whole copy
  try {
    const totals = new Map(tables.map((t) => [t, (src.prepare(`select count(*) as n from ${quote(t)}`).get() as { n: number }).n]));
    const allTotal = [...totals.values()].reduce((a, b) => a + b, 0);
    // the time partitions the history needs (the default partition would take them, but whole
    // partitions are what pruning drops)
    let minTs = Infinity;
    let maxTs = -Infinity;
    for (const t of tables.filter((x) => PARTITIONED_TABLES.has(x))) {
      const r = src.prepare(`select min(ts) as a, max(ts) as b from ${quote(t)}`).get() as { a: number | null; b: number | null };
      if (r.a !== null && r.b !== null) { minTs = Math.min(minTs, r.a); maxTs = Math.max(maxTs, r.b); }
    }
    if (minTs <= maxTs) await ensurePartitions(target.db, minTs, maxTs);

    const client = await target.pool.connect();
    let allDone = 0;
    try {
      for (const table of tables) {
        const cols = (src.prepare(`select name from pragma_table_info(?)`).all(table) as Array<{ name: string }>).map((c) => c.name);
        const total = totals.get(table)!;
        const per = Math.max(1, Math.min(opts.batchRows ?? 5000, Math.floor(MAX_PARAMS / cols.length)));
        let done = 0;
        await client.query('begin');
        const flush = async (batch: unknown[][]) => {
          if (batch.length === 0) return;
          const values: unknown[] = [];
          const tuples = batch.map((row) => `(${row.map((v) => { values.push(v); return `$${values.length}`; }).join(', ')})`);
          await client.query(`insert into ${quote(table)} (${cols.map(quote).join(', ')}) overriding system value values ${tuples.join(', ')}`, values);
          done += batch.length;
          allDone += batch.length;
          opts.onProgress?.({ table, done, total, allDone, allTotal });
        };
        let batch: unknown[][] = [];
        for (const row of src.prepare(`select ${cols.map(quote).join(', ')} from ${quote(table)}`).raw().iterate() as Iterable<unknown[]>) {
          batch.push(row);
          if (batch.length >= per) { await flush(batch); batch = []; }
        }
        await flush(batch);
        await advanceIdentity(client, table);
        await client.query('commit');
      }
    } catch (err) {
      await client.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }

    const result: CopyResult = { tables: [], rows: allDone, mismatches: [] };
    for (const table of tables) {
      const { rows } = await target.pool.query<{ n: string | number }>(`select count(*) as n from ${quote(table)}`);
      const t = Number(rows[0]?.n ?? 0);
      const s = totals.get(table)!;
      result.tables.push({ table, source: s, target: t });
      if (s !== t) result.mismatches.push(`${table}: ${s} rows in SQLite, ${t} in PostgreSQL`);
    }
    return result;
  } finally {
    src.exec('commit');
  }
}

/** After explicit ids were copied, the identity column's next value must lie past them. */
async function advanceIdentity(client: pg.PoolClient, table: string): Promise<void> {
  const { rows } = await client.query<{ column_name: string }>(
    `select column_name from information_schema.columns where table_schema = current_schema() and table_name = $1 and is_identity = 'YES'`, [table]);
  for (const { column_name: col } of rows) {
    await client.query(`select setval(pg_get_serial_sequence($1, $2), greatest((select max(${quote(col)}) from ${quote(table)}), 1))`, [quote(table), col]);
  }
}
