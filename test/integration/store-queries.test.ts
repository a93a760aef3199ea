import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../agent/store/open-database.ts';
import { fillStore } from './store-fill.ts';

const QUERIES = join(import.meta.dirname, '../../db/queries');
const T0 = 1_764_201_600;
let dir: string;
let file: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pmi-queries-'));
  file = join(dir, 'pmi.db');
  const store = await openDatabase(file);
  // 8 simulated days at a 10-minute interval: raw, 5m and 1h tiers, pruning and status changes.
  await fillStore(store, { start: T0, days: 8, intervalSeconds: 600, guests: 30 });
  await store.close();
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runSql(sqlFile: string): Array<Record<string, unknown>> {
  const out = execFileSync('/usr/bin/sqlite3', ['-readonly', '-bail', '-json', file], { input: readFileSync(sqlFile), encoding: 'utf8' });
  return out.trim() ? (JSON.parse(out) as Array<Record<string, unknown>>) : [];
}

const files = readdirSync(QUERIES).filter((f) => f.endsWith('.sql')).sort();

describe('db/queries through the sqlite3 CLI', () => {
  it('has at least 10 example queries, each starting with a comment saying what it answers', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const f of files) {
      const lines = readFileSync(join(QUERIES, f), 'utf8').split('\n');
      const header = lines.slice(0, lines.findIndex((l) => !l.startsWith('--'))).join(' ');
      expect(header, f).toMatch(/^-- \S.*\?/);
    }
  });

  it.each(files)('%s returns rows', (f) => {
    const rows = runSql(join(QUERIES, f));
    expect(rows.length).toBeGreaterThan(0);
  });

  it('finds the crashed guest but not the one stopped by an action', () => {
    const rows = runSql(join(QUERIES, 'guests-stopped-without-stop-action.sql'));
    expect(rows.map((r) => r.vmid)).toEqual([101]);
  });

  it('predicts the growing backup storage to fill within 30 days, and nothing else', () => {
    const rows = runSql(join(QUERIES, 'storage-full-within-30-days.sql'));
    expect(new Set(rows.map((r) => r.storage))).toEqual(new Set(['backup']));
    for (const r of rows) expect(r.days_until_full as number).toBeGreaterThan(10);
  });
});
