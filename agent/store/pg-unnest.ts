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

/** Element types whose text form never needs quoting in an array literal (digits, sign, '.', 'e', NaN, Infinity). */
const NUMERIC_TYPES = new Set(['int2', 'int4', 'int8', 'float4', 'float8', 'numeric']);

/**
 * One column as a PostgreSQL array literal (`{1,NULL,"a\"b"}`), built here instead of by
 * node-postgres, which quotes every element and runs two regular expressions over each: about
 * half of the client's CPU for a cycle's parameters (scripts/bench/pg-ingest-profile.ts).
 * Numbers go unquoted, strings quoted with `"` and `\` escaped, null and undefined as NULL; any
 * other value (an object, a Buffer) leaves the column to node-postgres's own conversion.
 */
export function arrayLiteral(values: readonly unknown[], numeric: boolean): string | readonly unknown[] {
  // the elements joined once: appending them one by one made two rope pieces per value (a third
  // of the store stage's allocation at 10,000 guests, scripts/bench/pg-ingest-profile.ts)
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v == null) parts[i] = 'NULL';
    else if (typeof v === 'number' || typeof v === 'bigint') parts[i] = numeric ? String(v) : `"${String(v)}"`;
    else if (typeof v === 'string') parts[i] = /["\\]/.test(v) ? `"${v.replace(/[\\"]/g, '\\$&')}"` : `"${v}"`;
    else if (typeof v === 'boolean') parts[i] = String(v);
    else return values;
  }
  return `{${parts.join(',')}}`;
}

/** Each column of the positional `rows` as an array parameter and its PostgreSQL array type (`int8[]`). */
async function columnArrays(db: Db, table: string, columns: readonly string[], rows: readonly unknown[][]): Promise<Array<{ value: string | readonly unknown[]; type: string }>> {
  const types = await typesOf(db, table);
  return columns.map((c, j) => {
    const t = types.get(c);
    if (!t) throw new Error(`unnestRows: no column "${c}" in table "${table}"`);
    return { value: arrayLiteral(rows.map((r) => r[j]), NUMERIC_TYPES.has(t)), type: `${t}[]` };
  });
}

/**
 * `select * from unnest(…) as u(columns)`: the positional `rows` of `table(columns)` as one typed
 * array parameter per column. Reads the column types once per table.
 */
export async function unnestRows(db: Db, table: string, columns: readonly string[], rows: readonly unknown[][]): Promise<RawBuilder<unknown>> {
  const arrays = (await columnArrays(db, table, columns, rows)).map(({ value, type }) => sql`${value}::${sql.raw(type)}`);
  return sql`select * from unnest(${sql.join(arrays)}) as u(${sql.join(columns.map((c) => sql.ref(c)))})`;
}

/**
 * The same as text for a statement built by hand: `param` adds a parameter and returns its
 * placeholder (`$n`). Column names are the caller's constants (quoted, not escaped).
 */
export async function unnestText(db: Db, table: string, columns: readonly string[], rows: readonly unknown[][], param: (v: unknown) => string): Promise<string> {
  const arrays = (await columnArrays(db, table, columns, rows)).map(({ value, type }) => `${param(value)}::${type}`);
  return `select * from unnest(${arrays.join(', ')}) as u(${columns.map((c) => `"${c}"`).join(', ')})`;
}

/** INSERT of positional rows through unnest(): one statement whatever the row count. */
export async function pgUnnestInsert(db: Db, table: string, columns: readonly string[], rows: readonly unknown[][], tail: string): Promise<number> {
  const select = await unnestRows(db, table, columns, rows);
  const res = await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) ${select}${sql.raw(tail)}`.execute(db);
  return Number(res.numAffectedRows ?? 0);
}
