// The store side of the charts (issue 14 item 4, issue 16 item 7) on a real SQLite file: the
// storage fill series reads raw samples until aggregates exist, and the alert bands come from the
// firing intervals of the transition history.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildAlertMarks } from '../../agent/alerts/site/alert-marks.model.ts';
import { guestChartData, nodeChartData } from '../../agent/site/build-chart-page-data.ts';
import { alertsDb, firingIntervals } from '../../agent/store/alerts.repository.ts';
import { openDatabase, type Store } from '../../agent/store/open-database.ts';
import { queryStorageTierSeries } from '../../agent/store/site-series.repository.ts';
import type { GuestRow, NodeRow } from '../../agent/store/site-inventory.repository.ts';

let dir: string;
let store: Store;
const NOW = 1_796_600_000 - (1_796_600_000 % 300);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pmi-chart-data-'));
  store = await openDatabase(join(dir, 'pmi.sqlite'));
  store.sqlite.prepare("INSERT INTO clusters (id, name, pve_name, first_seen) VALUES (1, 'c1', 'c1', ?)").run(NOW - 86_400);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const GiB = 2 ** 30;
const raw = (ts: number, used: number) => store.sqlite.prepare("INSERT INTO storage_samples (ts, cluster_id, node, storage, used, total) VALUES (?, 1, 'n1', 'local', ?, ?)").run(ts, used, 100 * GiB);
const agg = (ts: number, used: number) => store.sqlite.prepare("INSERT INTO storage_samples_5m (cluster_id, node, storage, ts, samples, used_avg, used_max, total) VALUES (1, 'n1', 'local', ?, 30, ?, ?, ?)").run(ts, used, used, 100 * GiB);
/** The storage's points as [ts, percent]. */
const fill = async (): Promise<Array<[number, number]> | undefined> => {
  const s = (await queryStorageTierSeries(store.db, 1, { tier: '5m', from: NOW - 86_400, group: 300 }))[0];
  if (!s) return undefined;
  expect(s.key).toBe('n1/local');
  const pct = s.metrics.pct!.split(',').map(Number);
  return s.i.split(',').map((o, k) => [s.t0 + Number(o) * s.step, pct[k]!]);
};

describe('storage fill series', () => {
  it('reads raw samples while no aggregate exists (the chart was empty for hours after a start)', async () => {
    for (let t = NOW - 600; t < NOW; t += 10) raw(t, 40 * GiB);
    const pts = await fill();
    expect(pts, 'a series from raw samples alone').toBeDefined();
    expect(pts).toEqual([[NOW - 600, 40], [NOW - 300, 40]]);
  });

  it('takes the aggregates where they exist and raw samples only after their last bucket', async () => {
    for (let t = NOW - 3600; t < NOW - 1800; t += 300) agg(t, 50 * GiB);
    for (let t = NOW - 3600; t < NOW; t += 10) raw(t, 20 * GiB); // raw under the aggregates must not count twice
    const pts = (await fill())!;
    expect(pts.filter(([ts]) => ts! < NOW - 1800).every(([, v]) => v === 50)).toBe(true);
    expect(pts.filter(([ts]) => ts! >= NOW - 1800).map(([, v]) => v)).toEqual([20, 20, 20, 20, 20, 20]);
  });
});

describe('alert bands', () => {
  it('pairs each firing with the next transition of its instance, open while it still fires', async () => {
    const ins = store.sqlite.prepare('INSERT INTO alert_transitions (ts, rule, fingerprint, labels, from_state, to_state, severity, summary) VALUES (?,?,?,?,?,?,?,?)');
    const a = JSON.stringify({ cluster: 'c1', vmid: '101' });
    const b = JSON.stringify({ cluster: 'c1', node: 'n1' });
    ins.run(NOW - 100 * 86_400, 'r1', a, a, 'pending', 'firing', 'warning', 's'); // long over, not in the window
    ins.run(NOW - 99 * 86_400, 'r1', a, a, 'firing', 'resolved', 'warning', 's');
    ins.run(NOW - 900, 'r1', a, a, 'pending', 'firing', 'warning', 's');
    ins.run(NOW - 600, 'r2', b, b, 'pending', 'firing', 'critical', 's');
    ins.run(NOW - 300, 'r1', a, a, 'firing', 'resolved', 'warning', 's');
    const rows = await firingIntervals(alertsDb(store.db), NOW - 30 * 86_400, 100);
    const doc = JSON.parse(buildAlertMarks(rows)) as { intervals: Array<{ rule: string; labels: Record<string, string>; from: number; to: number | null }> };
    expect(doc.intervals.map((x) => [x.rule, x.from, x.to])).toEqual([['r1', NOW - 900, NOW - 300], ['r2', NOW - 600, null]]);
    expect(doc.intervals[0]!.labels).toEqual({ cluster: 'c1', vmid: '101' });
  });
});

describe('chart page data', () => {
  it('says since when a guest is not running, and carries its limits', () => {
    const g = { vmid: 101, status: 'stopped', template: 0, changed_at: NOW - 3600, maxmem: 4 * GiB, maxdisk: 32 * GiB } as GuestRow;
    expect(guestChartData('c1', g, '../../../')).toMatchObject({ cluster: 'c1', vmid: 101, status: 'stopped', since: NOW - 3600, limits: { mem: 4 * GiB, disk: 32 * GiB }, alertMarks: '../../../data/alert-marks.json', template: false });
    expect(guestChartData('c1', { ...g, status: 'running' }, '').since).toBeNull();
  });

  it('gives a node the task markers of its own tasks only', () => {
    const n = { node: 'n1', status: 'online', last_seen: NOW, mem_total: 64 * GiB } as NodeRow;
    const task = (node: string, starttime: number, ok: number | null, vmid: number | null, type: string) => ({ upid: `U${starttime}`, cluster_id: 1, node, type, vmid, user: 'root@pam', tokenid: null, starttime, endtime: null, status: null, ok });
    const d = nodeChartData('c1', n, [task('n1', NOW - 60, 0, 101, 'qmstart'), task('n2', NOW - 30, 1, null, 'vzdump'), task('n1', NOW - 120, 1, null, 'aptupdate')], '');
    expect(d.annotations).toEqual([{ ts: NOW - 120, label: 'aptupdate', failed: false }, { ts: NOW - 60, label: 'start 101', failed: true }]);
    expect(d.limits).toEqual({ mem: 64 * GiB });
  });
});
