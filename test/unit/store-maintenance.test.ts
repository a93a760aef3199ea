import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log/logger.ts';
import { openTestStore, rawQuery, STORE_BACKENDS, type TestStore } from '../support/store-backends.ts';
import { writeSnapshot } from '../../agent/store/snapshot.repository.ts';
import { writeBackfill } from '../../agent/store/backfill.repository.ts';
import { createMaintenance, type MaintenanceOptions, type RetentionSettings } from '../../agent/store/maintenance.ts';
import { syntheticSnapshot } from '../../scripts/bench/store-synthetic.ts';

const T0 = 1_764_201_600; // 2025-11-27T00:00:00Z, an hour boundary
const log = createLogger({ level: 'silent' });

// Issue 17: on SQLite and on PostgreSQL (test/support/store-backends.ts).
describe.each(STORE_BACKENDS)('on %s', (backend) => {
let dir: string;
let store: TestStore;
let clock = T0 * 1000;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pmi-maint-'));
  store = await openTestStore(backend, { now: () => T0 * 1000 });
  clock = T0 * 1000;
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const q = <T = Record<string, unknown>>(text: string, ...p: unknown[]) => rawQuery<T>(store, text, p);
const one = async <T = Record<string, unknown>>(text: string, ...p: unknown[]) => (await rawQuery<T>(store, text, p))[0]!;

function maintenance(retention: Partial<RetentionSettings> = {}, options: Partial<MaintenanceOptions> = {}) {
  return createMaintenance({ db: store.db, ...(store.kind === 'sqlite' && { sqlite: store.sqlite }), log, now: () => clock, retention: { rawHours: 48, fiveMinuteDays: 30, hourlyDays: 400, ...retention }, options: { windowSeconds: 3600, rawPruneSlackSeconds: 600, ...options } });
}

/** Polls every 60 s from `from` for `minutes`, running maintenance after each cycle like the agent. */
async function simulate(m: ReturnType<typeof maintenance>, from: number, minutes: number, guests = 10) {
  for (let i = 0; i < minutes; i++) {
    const ts = from + i * 60;
    clock = ts * 1000 + 2_000;
    await writeSnapshot(store.db, syntheticSnapshot({ ts, guests, nodes: 2 }));
    await m.run();
  }
}

describe('maintenance rollups', () => {
  it('rolls complete hours into 5m and 1h tiers with the same avg and max as the raw rows', async () => {
    const m = maintenance();
    await simulate(m, T0, 125);
    // Hours [T0, T0+3600) and [T0+3600, T0+7200) are complete (+ grace) by minute 124.
    expect(await one('select value from agent_state where key = ?', 'rollup.guest.until')).toEqual({ value: String(T0 + 7200) });
    const raw5 = await q(`select vmid, ts / 300 * 300 as b, count(*) n, avg(cpu) a, max(cpu) mx, cast(round(avg(mem)) as integer) mem
      from guest_samples where ts < ${T0 + 7200} group by vmid, b order by vmid, b`);
    const tier5 = await q(`select vmid, ts as b, samples n, cpu_avg a, cpu_max mx, mem_avg mem from guest_samples_5m order by vmid, ts`);
    expect(tier5.length).toBe(raw5.length);
    expect(tier5.length).toBe(8 * 24); // 8 sampled guests × 24 buckets
    tier5.forEach((r, i) => {
      expect(r.n).toBe(raw5[i]!.n);
      expect(r.a as number).toBeCloseTo(raw5[i]!.a as number, 12);
      expect(r).toMatchObject({ vmid: raw5[i]!.vmid, b: raw5[i]!.b, mx: raw5[i]!.mx, mem: raw5[i]!.mem });
    });
    const h = await q(`select ts, samples from guest_samples_1h where vmid = 100 order by ts`);
    expect(h).toEqual([{ ts: T0, samples: 60 }, { ts: T0 + 3600, samples: 60 }]);
    expect(await one(`select count(*) n from node_samples_1h`)).toEqual({ n: 4 });
    expect(await one(`select count(*) n from storage_samples_1h`)).toEqual({ n: 16 });
  });

  it('catches up a backlog a bounded number of windows per run', async () => {
    // Write 5 hours of raw rows without maintenance, then run it.
    for (let i = 0; i < 300; i += 5) await writeSnapshot(store.db, syntheticSnapshot({ ts: T0 + i * 60, guests: 5 }));
    clock = (T0 + 5 * 3600 + 120) * 1000;
    const m = maintenance({}, { maxWindowsPerRun: 2 });
    expect((await m.run()).windows.guest).toBe(2);
    expect((await m.run()).windows.guest).toBe(2);
    expect((await m.run()).windows.guest).toBe(1);
    expect((await m.run()).windows.guest).toBe(0);
    expect(await one(`select count(distinct ts) n from guest_samples_1h`)).toEqual({ n: 5 });
  });

  it('skips empty stretches (agent down for a day) without walking them hour by hour', async () => {
    const m = maintenance();
    await simulate(m, T0, 10, 3);
    await simulate(m, T0 + 86_400, 70, 3);
    // The first hour was rolled in one run after the restart, then the next one after it completed.
    expect(await q(`select ts from guest_samples_1h where vmid = 100 order by ts`)).toEqual([{ ts: T0 }, { ts: T0 + 86_400 }]);
  });
});

// Row-by-row pruning is SQLite's; PostgreSQL drops whole partitions (store-pg-partitions.test.ts).
describe.skipIf(backend !== 'sqlite')('maintenance pruning', () => {
  it('prunes raw rows past retention but never before they are rolled up', async () => {
    const m = maintenance({ rawHours: 1 }, { rawPruneSlackSeconds: 0 });
    await simulate(m, T0, 150, 4);
    const oldest = (await one<{ ts: number }>('select min(ts) ts from guest_samples')).ts;
    expect(oldest).toBeGreaterThanOrEqual(T0 + 149 * 60 - 3600);
    // The hour that expired from raw still lives in the tiers.
    expect(await one(`select count(*) n from guest_samples_5m where ts < ${oldest}`)).not.toEqual({ n: 0 });

    // Stop rolling up (watermark frozen): raw must not be pruned past it.
    await q(`update agent_state set value = ? where key = 'rollup.guest.until'`, String(T0 + 3600));
    await q(`insert into guest_samples (ts, cluster_id, vmid) values (${T0 + 3700}, 1, 9999)`);
    clock += 10 * 3600 * 1000;
    const m2 = maintenance({ rawHours: 1 }, { maxWindowsPerRun: 0, rawPruneSlackSeconds: 0 });
    await m2.run();
    expect(await one(`select count(*) n from guest_samples where vmid = 9999`)).toEqual({ n: 1 });
  });

  it('prunes tiers by retention in bounded passes and poll_runs by age', async () => {
    const m = maintenance({ fiveMinuteDays: 1 / 24, hourlyDays: 400 }, { pruneSeriesPerRun: 3, tierPruneEverySeconds: 600 });
    await simulate(m, T0, 200, 10);
    const oldest5m = (await one<{ ts: number }>('select min(ts) ts from guest_samples_5m')).ts;
    // Retention 1 h + one pass period (600 s) + bucket width.
    expect(oldest5m).toBeGreaterThanOrEqual(T0 + 199 * 60 - 3600 - 600 - 300 - 3600);
    expect(await one('select count(*) n from guest_samples_1h')).toEqual({ n: 8 * 3 });
  });
});

describe('writeBackfill', () => {
  it('inserts history without duplicates and gets it rolled up', async () => {
    const m = maintenance();
    await simulate(m, T0 + 7200, 65, 3); // polled: hour 2 onwards; hours 0–1 are the gap
    const guests = [] as Parameters<typeof writeBackfill>[1]['guests'];
    for (let t = T0; t < T0 + 7200 + 600; t += 60) guests.push({ vmid: 100, ts: t, cpu: 0.5, mem: 1000, disk: null, netinBps: 1, netoutBps: 2, diskreadBps: 3, diskwriteBps: 4 });
    const nodes = [{ node: 'pve1', ts: T0, cpu: 0.1, iowait: 0.01, load1: 1, memTotal: 10, memUsed: 5, memAvailable: 5, swapTotal: 0, swapUsed: 0, rootfsTotal: 10, rootfsUsed: 1, netinBps: 1, netoutBps: 1 }];
    const first = await writeBackfill(store.db, { cluster: 'lab', guests, nodes });
    expect(first).toEqual({ guests: 120, nodes: 1 }); // the 10 polled minutes were left alone
    expect(await writeBackfill(store.db, { cluster: 'lab', guests, nodes })).toEqual({ guests: 0, nodes: 0 });
    for (let i = 0; i < 3; i++) await m.run();
    expect(await q(`select ts, samples, cpu_avg from guest_samples_1h where vmid = 100 order by ts`)).toEqual([
      { ts: T0, samples: 60, cpu_avg: 0.5 },
      { ts: T0 + 3600, samples: 60, cpu_avg: 0.5 },
      { ts: T0 + 7200, samples: 60, cpu_avg: expect.any(Number) },
    ]);
    expect(await one(`select samples from node_samples_1h where node = 'pve1' and ts = ${T0}`)).toEqual({ samples: 1 });
  });
});

describe('rollup slices', () => {
  it('rolls a window in bounded slices of series and gets the same rows as in one go', async () => {
    for (let i = 0; i < 125; i++) await writeSnapshot(store.db, syntheticSnapshot({ ts: T0 + i * 60, guests: 23 }));
    clock = (T0 + 125 * 60) * 1000;
    const m = maintenance({}, { pruneSeriesPerRun: 5, maxWindowsPerRun: 1 });
    const runs: number[] = [];
    for (let i = 0; i < 12; i++) runs.push((await m.run()).windows.guest);
    // 23 guests in slices of 5 → 5 runs per window, two complete windows.
    expect(runs).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0]);
    const raw = await q(`select vmid, ts / 3600 * 3600 as ts, count(*) as samples, max(cpu) as cpu_max from guest_samples where ts < ${T0 + 7200} group by vmid, ts / 3600 * 3600 order by vmid, ts`);
    expect(await q('select vmid, ts, samples, cpu_max from guest_samples_1h order by vmid, ts')).toEqual(raw);
    expect(await one(`select value from agent_state where key = 'rollup.guest.until'`)).toEqual({ value: String(T0 + 7200) });
  });
});
});
