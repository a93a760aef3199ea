// Issue 17 item 1: the documented example queries (db/queries/**.sql) on PostgreSQL, through the
// real psql CLI, as users run them. The same history as the sqlite3 test (store-queries.test.ts),
// moved into PostgreSQL with the db copy; a query that must differ there ships its twin under
// db/queries/postgres/ (same relative path), and each must find the same rows as on SQLite.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../agent/store/open-database.ts';
import { openPgStore } from '../../agent/store/open-store.ts';
import { copySqliteToPostgres } from '../../agent/store/db-copy.ts';
import { fillStore } from './store-fill.ts';
import { createTestDatabase } from '../support/store-backends.ts';
import { queryGuestTierSeries, queryNodeTierSeries, queryStorageTierSeries, type EncodedSeries } from '../../agent/store/site-series.repository.ts';

const QUERIES = join(import.meta.dirname, '../../db/queries');
const PG_QUERIES = join(QUERIES, 'postgres');
const T0 = 1_764_201_600;
let dir: string;
let file: string;
let target: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pmi-queries-pg-'));
  file = join(dir, 'pmi.db');
  const store = await openDatabase(file);
  await fillStore(store, { start: T0, days: 8, intervalSeconds: 600, guests: 30 });
  // Gaps: periods without a value (the first two hours of every day, so every grouping up to 2 h
  // has whole periods of them) must stay gaps (null) in the series on both backends.
  for (const t of ['5m', '1h']) {
    await sql`UPDATE ${sql.table(`guest_samples_${t}`)} SET cpu_avg = NULL, netin_avg = NULL, diskwrite_avg = NULL WHERE ts % 86400 < 7200`.execute(store.db);
    await sql`UPDATE ${sql.table(`node_samples_${t}`)} SET iowait_avg = NULL, netout_avg = NULL WHERE ts % 86400 < 7200`.execute(store.db);
  }
  target = await createTestDatabase();
  const pg = await openPgStore({ url: target.url });
  try {
    const r = await copySqliteToPostgres(store, pg);
    expect(r.mismatches).toEqual([]);
  } finally {
    await pg.close();
    await store.close();
  }
}, 300_000);
afterAll(async () => {
  await target?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** Minimal RFC 4180 CSV (psql --csv): quoted fields, doubled quotes, embedded commas/newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false; else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; } else if (ch === '\n') { row.push(field); rows.push(row); row = []; field = ''; } else field += ch;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

function psql(sqlFile: string): Array<Record<string, string>> {
  const out = execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '--csv', '-d', target.url, '-f', sqlFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [header, ...rows] = parseCsv(out);
  return header ? rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]!]))) : [];
}

function sqlite(sqlFile: string): Array<Record<string, unknown>> {
  const out = execFileSync('/usr/bin/sqlite3', ['-readonly', '-bail', '-json', file], { input: readFileSync(sqlFile), encoding: 'utf8' });
  return out.trim() ? (JSON.parse(out) as Array<Record<string, unknown>>) : [];
}

function listSql(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? (e.name === 'postgres' ? [] : listSql(join(d, e.name))) : e.name.endsWith('.sql') ? [join(d, e.name)] : []));
}
const files = listSql(QUERIES).map((f) => relative(QUERIES, f)).sort();
/** The PostgreSQL version of a query: its twin when one ships, else the same file. */
const pgFile = (rel: string) => (existsSync(join(PG_QUERIES, rel)) ? join(PG_QUERIES, rel) : join(QUERIES, rel));

describe('db/queries through psql on PostgreSQL', () => {
  it('every twin under db/queries/postgres/ has its SQLite original', () => {
    for (const twin of existsSync(PG_QUERIES) ? listSql(PG_QUERIES) : []) expect(existsSync(join(QUERIES, relative(PG_QUERIES, twin))), twin).toBe(true);
  });

  it.each(files)('%s runs and finds the same rows as on SQLite', (rel) => {
    const a = sqlite(join(QUERIES, rel));
    const b = psql(pgFile(rel));
    expect(b.length).toBe(a.length);
    // the filled history has no health or PBS rows: those queries run (same columns, no rows) here,
    // and with rows through the sqlite3 CLI in health-e2e / health-pbs
    if (!rel.startsWith('health/') && !rel.startsWith('pbs/')) expect(b.length).toBeGreaterThan(0);
    // the first column (a name or key) in the same order on both
    const first = Object.keys(a[0] ?? {})[0];
    if (first) expect(b.map((r) => r[first])).toEqual(a.map((r) => (r[first] === null ? '' : String(r[first]))));
  });
});

describe('the site\'s tier series on PostgreSQL', () => {
  /** The series as numbers: SQLite's %.3g may write 1.23e+03 where PostgreSQL writes 1230. */
  const decoded = (list: EncodedSeries[]) => list.map((x) => ({ key: x.key, i: JSON.parse(`[${x.i}]`) as number[], metrics: Object.fromEntries(Object.entries(x.metrics).map(([k, v]) => [k, JSON.parse(`[${v}]`) as Array<number | null>])) }));
  it.each([['1h', 3600], ['1h', 7200], ['5m', 300], ['5m', 3600]] as const)('tier %s grouped by %i s gives the same points as on SQLite', async (tier, group) => {
    const src = await openDatabase(file);
    const dst = await openPgStore({ url: target.url });
    try {
      const q = { tier, from: T0 + 86_400, group };
      const fns = [
        (db: typeof src.db) => queryGuestTierSeries(db, 1, 0, 1_000_000, q),
        (db: typeof src.db) => queryNodeTierSeries(db, 1, q),
        (db: typeof src.db) => queryStorageTierSeries(db, 1, q),
      ];
      for (const fn of fns) {
        const a = decoded(await fn(src.db));
        const b = decoded(await fn(dst.db));
        expect(a.length).toBeGreaterThan(0);
        // the gaps made above reach the series (storage has none)
        if (fn !== fns[2]) expect(a.some((x) => Object.values(x.metrics).some((v) => v.includes(null))), 'a gap is null on SQLite').toBe(true);
        expect(b.map((x) => [x.key, x.i])).toEqual(a.map((x) => [x.key, x.i]));
        b.forEach((x, i) => {
          for (const [m, vals] of Object.entries(x.metrics)) {
            vals.forEach((v, j) => {
              const w = a[i]!.metrics[m]![j]!;
              if (w === null || v === null) expect(v, `${x.key} ${m}[${j}]`).toBe(w);
              else expect(Math.abs(v - w), `${x.key} ${m}[${j}]: ${v} vs ${w}`).toBeLessThanOrEqual(Math.abs(w) * 0.006 + 1e-9);
            });
          }
        });
      }
    } finally {
      await src.close();
      await dst.close();
    }
  });
});
