// The attention list's reads (agent/store/site-attention.repository.ts) on a real SQLite database.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { ensureCluster } from '../../agent/store/cluster.repository.ts';
import { collectAttentionRows, queryFailedTasksSince, queryStorageTrendPoints, queryUnexplainedStops, type StorageTrendCache } from '../../agent/store/site-attention.repository.ts';

const NOW = 1_800_000_000;
let store: Store;
let cid: number;
beforeEach(async () => {
  store = await openDatabase(':memory:');
  cid = await ensureCluster(store.db, 'c1', NOW - 86_400 * 10);
});
afterEach(async () => store.close());

const change = (vmid: number, ts: number, from: string, to: string) =>
  store.sqlite.prepare('INSERT INTO guest_status_changes (cluster_id, vmid, ts, from_status, to_status, node) VALUES (?, ?, ?, ?, ?, ?)').run(cid, vmid, ts, from, to, 'n1');
const task = (upid: string, vmid: number | null, type: string, start: number, end: number | null, ok: number | null, status: string | null = null) =>
  store.sqlite.prepare('INSERT INTO tasks (upid, cluster_id, node, type, object_id, vmid, user, tokenid, starttime, endtime, status, ok) VALUES (?, ?, ?, ?, NULL, ?, NULL, NULL, ?, ?, ?, ?)').run(upid, cid, 'n1', type, vmid, start, end, status, ok);

describe('attention reads', () => {
  it('finds stops nobody asked for, not those with a stop task or action, nor older changes', async () => {
    change(101, NOW - 1000, 'running', 'stopped'); // crash
    change(102, NOW - 1000, 'running', 'stopped');
    task('T102', 102, 'qmshutdown', NOW - 1100, NOW - 1000, 1, 'OK');
    change(103, NOW - 1000, 'running', 'stopped');
    store.sqlite.prepare("INSERT INTO actions (id, cluster, vmid, action, state, outcome, received_at, updated_at) VALUES ('a1', 'c1', 103, 'stop', 'done', 'done', ?, ?)").run(NOW - 1200, NOW - 1000);
    change(104, NOW - 2000, 'running', 'stopped'); // stopped, then started again
    change(104, NOW - 1500, 'stopped', 'running');
    change(105, NOW - 8 * 86_400, 'running', 'stopped'); // before the window
    const rows = await queryUnexplainedStops(store.db, NOW - 7 * 86_400);
    expect(rows.map((r) => r.vmid)).toEqual([101]);
  });

  it('reads failed tasks of the window by their end', async () => {
    task('A', 101, 'vzdump', NOW - 90_000, NOW - 3600, 0, 'job errors'); // started before the window, ended in it
    task('B', 101, 'vzdump', NOW - 200_000, NOW - 190_000, 0, 'old');
    task('C', 101, 'qmstart', NOW - 100, NOW - 90, 1, 'OK');
    task('D', null, 'aptupdate', NOW - 100, null, 0, 'unexpected status');
    expect((await queryFailedTasksSince(store.db, NOW - 86_400)).map((t) => t.upid).sort()).toEqual(['A', 'D']);
  });

  it('reads the hourly storage fill in time order and caches it within the hour', async () => {
    const ins = store.sqlite.prepare('INSERT INTO storage_samples_1h (cluster_id, node, storage, ts, samples, used_avg, used_max, total) VALUES (?, ?, ?, ?, 1, ?, ?, 100)');
    for (const k of [3, 1, 2]) ins.run(cid, 'n1', 'local', NOW - k * 3600, k, k);
    expect((await queryStorageTrendPoints(store.db, NOW - 7 * 86_400)).map((p) => p.used)).toEqual([3, 2, 1]);
    const hourStart = Math.floor(NOW / 3600) * 3600;
    const trend: StorageTrendCache = { hour: -1, rows: [] };
    const first = await collectAttentionRows(store.db, hourStart + 10, trend);
    ins.run(cid, 'n1', 'local', NOW - 5 * 3600, 5, 5);
    expect((await collectAttentionRows(store.db, hourStart + 20, trend)).storageTrend).toBe(first.storageTrend);
    expect((await collectAttentionRows(store.db, hourStart + 3600, trend)).storageTrend).toHaveLength(4);
  });
});
