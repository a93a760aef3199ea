// Issue 14 item 9: the example queries people read weight each sample by the time it covers and
// say when there is not enough history yet. Real SQLite file, real sqlite3 CLI (as users run them).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../agent/store/open-database.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';
import { runSqlFile } from '../support/sql-cli.ts';

const QUERIES = join(import.meta.dirname, '../../db/queries');
const NOW = 1_764_201_600;
let dir: string;
let file: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pmi-weighting-'));
  file = join(dir, 'pmi.db');
  const store = await openDatabase(file);
  // One cycle makes the cluster, its guests and storages (no hourly storage points yet).
  await writeSnapshot(store.db, syntheticSnapshot({ ts: NOW, guests: 2, stoppedEvery: 0 }));
  const id = (store.sqlite.prepare(`select id from clusters`).get() as { id: number }).id;
  const ins = store.sqlite.prepare(`insert or replace into guest_samples (ts, cluster_id, vmid, cpu) values (?, ?, ?, ?)`);
  // Guest 100: 20 h of backfill at 30-minute points with 10 % CPU, then 10 minutes of 10 s live
  // samples at 90 %. Time-weighted, the 24 h average is near 10 %; per sample it would be ~60 %.
  const liveFrom = NOW - 600;
  for (let t = NOW - 20 * 3600; t < liveFrom; t += 1800) ins.run(t, id, 100, 0.1);
  for (let t = liveFrom; t <= NOW; t += 10) ins.run(t, id, 100, 0.9);
  // Guest 101: steady 30 % at 10 s for the last hour.
  for (let t = NOW - 3600; t <= NOW; t += 10) ins.run(t, id, 101, 0.3);
  await store.close();
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('example queries weight samples by time and say when history is short', () => {
  it('top-cpu-guests-24h weights a 30-minute backfill point like 180 samples of 10 s', () => {
    const rows = runSqlFile(file, join(QUERIES, 'top-cpu-guests-24h.sql'));
    const g100 = rows.find((r) => r.vmid === 100)!;
    const g101 = rows.find((r) => r.vmid === 101)!;
    // 40 backfill points × 1800 s at 10 % and 61 live samples × 10 s at 90 % → about 10.7 %.
    expect(g100.cpu_avg_pct as number).toBeGreaterThan(10);
    expect(g100.cpu_avg_pct as number).toBeLessThan(12);
    expect(g100.cpu_max_pct).toBe(90);
    expect(g101.cpu_avg_pct).toBe(30);
    // The guest with 30 % all hour ranks above the one that was busy for ten minutes only.
    expect(rows.findIndex((r) => r.vmid === 101)).toBeLessThan(rows.findIndex((r) => r.vmid === 100));
    expect(g100.covered_hours as number).toBeGreaterThan(19);
  });

  it('storage-full-within-30-days says "not enough history yet" instead of printing nothing', () => {
    const rows = runSqlFile(file, join(QUERIES, 'storage-full-within-30-days.sql'));
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.note).toMatch(/^not enough history yet: 0 hourly point\(s\) of the 6 a trend needs$/);
      expect(r.days_until_full).toBeNull();
    }
  });
});
