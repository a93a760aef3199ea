// `pmi-agent rules backtest` over health rules (#16 item 8): the health views answer as of the
// replayed time from the history the health tiers keep (*_changes, backup_runs), so a rule fires
// at the historical time its condition held even though today's state is healthy. Database filled
// by the store over 4 simulated days, then health history written the way the health store does
// (a *_changes row when a state changes; the latest-state tables hold today's healthy values).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../agent/cli.ts';
import { openDatabase } from '../../agent/store/open-database.ts';
import { fillStore } from './store-fill.ts';

const T0 = Date.UTC(2026, 10, 1) / 1000;
const DAY = 86_400;
const at = (days: number) => T0 + Math.round(days * DAY);
let dir: string;
let configPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pmi-backtest-health-'));
  mkdirSync(join(dir, 'rules'));
  const db = join(dir, 'pmi.db');
  const store = await openDatabase(db);
  await fillStore(store, { start: T0, days: 4, intervalSeconds: 600, guests: 10 });
  const s = store.sqlite;
  const now = at(4);
  // a disk FAILED from day 1.5 until it was replaced on day 2.5 (today: PASSED)
  s.prepare(`insert into disks (cluster_id, node, devpath, type, model, serial, health, wearout, first_seen, last_seen, changed_at)
    values (1, 'pve1', '/dev/sda', 'ssd', 'Samsung SSD 870', 'S2', 'PASSED', 3, ?, ?, ?)`).run(at(0), now, at(2.5));
  const disk = s.prepare("insert into disk_changes (cluster_id, node, devpath, ts, serial, health, wearout) values (1, 'pve1', '/dev/sda', ?, ?, ?, ?)");
  disk.run(at(0), 'S1', 'PASSED', 10);
  disk.run(at(1.5), 'S1', 'FAILED', 10);
  disk.run(at(2.5), 'S2', 'PASSED', 3);
  // Ceph WARN from day 1 to day 1.25 (today: OK)
  s.prepare("insert into ceph_status (cluster_id, health, checks, ts, changed_at) values (1, 'HEALTH_OK', '[]', ?, ?)").run(now, at(1.25));
  const ceph = s.prepare('insert into ceph_health_changes (cluster_id, ts, from_health, to_health, checks) values (1, ?, ?, ?, ?)');
  ceph.run(at(0), null, 'HEALTH_OK', '[]');
  ceph.run(at(1), 'HEALTH_OK', 'HEALTH_WARN', '["OSD_DOWN"]');
  ceph.run(at(1.25), 'HEALTH_WARN', 'HEALTH_OK', '[]');
  // guest 101: daily backups (RPO 26 h; the first minutes after the start), none on days 2 and 3 until
  // one on day 3.5 (today: fresh)
  s.prepare("insert into backup_jobs (cluster_id, job_id, enabled, schedule, mode, rpo_s, first_seen, last_seen) values (1, 'daily', 1, '01:00', 'snapshot', 93600, ?, ?)").run(at(0), now);
  s.prepare("insert into backup_guest_jobs (cluster_id, vmid, job_id, rpo_s) values (1, 101, 'daily', 93600)").run();
  s.prepare("insert into health_coverage (cluster_id, signal, node, state, last_try, last_ok) values (1, 'backup_tasks', 'pve1', 'ok', ?, ?)").run(now, now);
  const run = s.prepare("insert into backup_runs (cluster_id, upid, vmid, node, starttime, endtime, duration_s, ok) values (1, ?, 101, 'pve1', ?, ?, 60, 1)");
  const task = s.prepare("insert into backup_tasks (cluster_id, upid, node, vmid, starttime, endtime, status, log_read_at) values (1, ?, 'pve1', 101, ?, ?, 'OK', ?)");
  for (const d of [0.005, 1.05, 3.5]) {
    run.run(`UPID:bt:${d}`, at(d) - 60, at(d));
    task.run(`UPID:bt:${d}`, at(d) - 60, at(d), at(d) + 600);
  }
  await store.close();
  configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify({
    clusters: [{ name: 'lab', endpoints: ['https://127.0.0.1:8006'], tokenId: 'pmi@pve!mon', tokenSecret: 'x', tls: { insecure: true } }],
    pollIntervalSeconds: 600,
    paths: { database: db, site: join(dir, 'site'), inbox: join(dir, 'inbox') },
    rules: { directory: join(dir, 'rules') },
  }));
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function backtest(rule: string) {
  let out = '';
  let err = '';
  const code = await runCli(['rules', 'backtest', rule, '--since', '30d', '--config', configPath], { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {} });
  expect(err).toBe('');
  expect(code).toBe(0);
  return out;
}
const stamp = (s: number) => new Date(s * 1000).toISOString().slice(0, 16).replace('T', ' ');

describe('backtest over health views as of the replayed time', () => {
  it('disk-failing fires while the disk was FAILED (day 1.5 → 2.5), though it is PASSED today', async () => {
    const out = await backtest('disk-failing');
    expect(out).toContain(`${stamp(at(1.5))} → ${stamp(at(2.5))}`);
    expect(out).toMatch(/cluster=lab devpath=\/dev\/sda node=pve1|cluster=lab node=pve1 devpath=\/dev\/sda/);
    expect(out.trim().split('\n').at(-1)).toBe('would have fired 1 time, median 1d');
  });

  it('ceph-not-ok fires after its 5 minutes of HEALTH_WARN and resolves when Ceph was OK again', async () => {
    const out = await backtest('ceph-not-ok');
    expect(out).toContain(`${stamp(at(1) + 300)} → ${stamp(at(1.25))}`);
    expect(out.trim().split('\n').at(-1)).toBe('would have fired 1 time, median 5h55m');
  });

  it('backup-overdue (over the tables) fires once the last good backup was older than the RPO, until the next one', async () => {
    const out = await backtest('backup-overdue');
    // due at day 1.05 + 26 h, firing 30 min later; resolved by the run that ended on day 3.5
    const due = at(1.05) + 93_600;
    const first = /^ {2}(\d{4}-\d\d-\d\d \d\d:\d\d) → /m.exec(out)?.[1];
    expect(first, out).toBeDefined();
    const firedAt = Date.parse(`${first!.replace(' ', 'T')}:00Z`) / 1000;
    expect(firedAt, out).toBeGreaterThanOrEqual(due + 1800);
    expect(firedAt).toBeLessThanOrEqual(due + 1800 + 600);
    expect(out).toContain(`→ ${stamp(at(3.5))}`);
    expect(out).toContain('cluster=lab vmid=101');
    expect(out.trim().split('\n').at(-1)).toMatch(/^would have fired 1 time, median/);
  });
});
