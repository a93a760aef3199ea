// Issue 17 items 1 and 3: every migration runs on PostgreSQL (through the schema plugin and the
// twins in db/migrations/postgres/) and gives the same tables, columns and views as on SQLite;
// sample tables are range-partitioned by ts there; every view answers on both.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, type TestStore } from '../support/store-backends.ts';
import { listPartitions, PARTITIONED_TABLES } from '../../agent/store/pg-partitions.ts';

let lite: TestStore;
let pgs: TestStore;

beforeAll(async () => {
  lite = await openTestStore('sqlite');
  pgs = await openTestStore('postgres');
});
afterAll(async () => {
  await lite?.close();
  await pgs?.close();
});

async function sqliteShape(s: TestStore): Promise<Record<string, string[]>> {
  const { rows } = await sql<{ name: string; type: string }>`select name, type from sqlite_master where type in ('table', 'view') and name not like 'sqlite_%' and name not like 'kysely_%'`.execute(s.db);
  const out: Record<string, string[]> = {};
  for (const r of rows) {
    const cols = await sql<{ name: string }>`select name from pragma_table_info(${r.name})`.execute(s.db);
    out[`${r.type} ${r.name}`] = cols.rows.map((c) => c.name).sort();
  }
  return out;
}

async function pgShape(s: TestStore): Promise<Record<string, string[]>> {
  // partitions are tables of their own in the catalog: only the parents count
  const { rows } = await sql<{ name: string; kind: string; column: string }>`
    select c.relname as name, case when c.relkind = 'v' then 'view' else 'table' end as kind, a.attname as column
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where n.nspname = current_schema() and c.relkind in ('r', 'p', 'v') and not c.relispartition
      and c.relname not like 'kysely_%'`.execute(s.db);
  const out: Record<string, string[]> = {};
  for (const r of rows) (out[`${r.kind} ${r.name}`] ??= []).push(r.column);
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}

describe('migrations on both backends', () => {
  it('give the same tables, columns and views on PostgreSQL as on SQLite', async () => {
    const a = await sqliteShape(lite);
    const b = await pgShape(pgs);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const k of Object.keys(a)) expect(b[k], k).toEqual(a[k]);
  });

  it('make integers 64-bit and floats double on PostgreSQL', async () => {
    const { rows } = await sql<{ data_type: string; n: number }>`select c.data_type, count(*) as n from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
      where c.table_schema = current_schema() and c.table_name not like 'kysely_%' group by c.data_type`.execute(pgs.db);
    const types = rows.map((r) => r.data_type);
    expect(types).not.toContain('integer');
    expect(types).not.toContain('real');
    expect(types).toContain('bigint');
    expect(types).toContain('double precision');
  });

  it('range-partitions every sample table by ts on PostgreSQL, with partitions from two days back to a week ahead', async () => {
    const { rows } = await sql<{ name: string }>`select c.relname as name from pg_partitioned_table p join pg_class c on c.oid = p.partrelid`.execute(pgs.db);
    expect(rows.map((r) => r.name).sort()).toEqual([...PARTITIONED_TABLES].sort());
    const parts = await listPartitions(pgs.db, 'guest_samples');
    const now = Math.floor(Date.now() / 1000);
    expect(parts.some((p) => p.isDefault)).toBe(true);
    expect(parts.some((p) => p.from! <= now && now < p.to!)).toBe(true);
    expect(parts.some((p) => p.from! <= now + 6 * 86_400 && now + 6 * 86_400 < p.to!)).toBe(true);
  });

  it('gives rows without an id an id from the identity column on PostgreSQL, as SQLite does', async () => {
    for (const s of [lite, pgs]) {
      await s.db.insertInto('clusters').values({ name: `c-${s.backend}`, first_seen: 1 }).execute();
      const row = await s.db.selectFrom('clusters').select('id').where('name', '=', `c-${s.backend}`).executeTakeFirstOrThrow();
      expect(typeof row.id, s.backend).toBe('number');
    }
  });

  it('answers a select from every view on both', async () => {
    const { rows } = await sql<{ name: string }>`select name from sqlite_master where type = 'view'`.execute(lite.db);
    expect(rows.length).toBeGreaterThan(20);
    for (const { name } of rows) {
      for (const s of [lite, pgs]) {
        await expect(sql`select * from ${sql.table(name)} limit 1`.execute(s.db), `${name} on ${s.backend}`).resolves.toBeDefined();
      }
    }
  });
});
