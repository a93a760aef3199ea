// Rows as column arrays for PostgreSQL (issue 17 item 5): `unnest($1::int8[], $2::text[], …)`
// turns one array parameter per column back into rows, so any number of rows is one parameter per
// column, one parse and one round trip — instead of a multi-row VALUES with a parameter per value.
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';

// Table names are dynamic here, so the schema type cannot help: any is deliberate.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any> | Transaction<any>;

/** Column → PostgreSQL type name (udt_name, e.g. int8, float8, text), per table; the schema is fixed once migrated. */
const columnTypes = new Map<string, Map<string, string>>();

async function typesOf(db: Db, table: string): Promise<Map<string, string>> {
  let types = columnTypes.get(table);
  if (!types) {
    const r = await sql<{ column_name: string; udt_name: string }>`select column_name, udt_name from information_schema.columns
      where table_schema = current_schema() and table_name = ${table}`.execute(db);
    types = new Map(r.rows.map((x) => [x.column_name, x.udt_name]));
    columnTypes.set(table, types);
  }
  return types;
}

/**
 * `select * from unnest(…) as u(columns)`: the positional `rows` of `table(columns)` as one typed
 * array parameter per column. Reads the column types once per table.
 */
export async function unnestRows(db: Db, table: string, columns: readonly string[], rows: readonly unknown[][]): Promise<RawBuilder<unknown>> {
  const types = await typesOf(db, table);
  const arrays = columns.map((c, j) => {
    const t = types.get(c);
    if (!t) throw new Error(`unnestRows: no column "${c}" in table "${table}"`);
    return sql`${rows.map((r) => r[j] ?? null)}::${sql.raw(`${t}[]`)}`;
  });
  return sql`select * from unnest(${sql.join(arrays)}) as u(${sql.join(columns.map((c) => sql.ref(c)))})`;
}

/** INSERT of positional rows through unnest(): one statement whatever the row count. */
export async function pgUnnestInsert(db: Db, table: string, columns: readonly string[], rows: readonly unknown[][], tail: string): Promise<number> {
  const select = await unnestRows(db, table, columns, rows);
  const res = await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) ${select}${sql.raw(tail)}`.execute(db);
  return Number(res.numAffectedRows ?? 0);
}
