// Health signals end to end (issue #15): the simulator's test states → the real agent over HTTPS →
// SQLite views → pages and status.json. Every tier is set to run each cycle here; the schedule
// itself is covered by test/unit/health-schedule.test.ts and the request budget test.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../scripts/pve-sim/index.ts';
import type { SimHandle } from '../../scripts/pve-sim/types.ts';
import type { AgentParts } from '../../agent/main.ts';
import { writeAgentConfig, type AgentDirs } from '../support/agent-fixture.ts';
import { runAgentCycles } from '../support/agent-cycles.ts';
import { runSqlFile } from '../support/sql-cli.ts';
import { healthEveryAll } from '../../agent/config/health-config.schema.ts';

type Row = Record<string, unknown>;
const EVERY_CYCLE = healthEveryAll(5);

let sim: SimHandle;
let now = Date.UTC(2026, 11, 7, 9, 30, 0);
let dirs: AgentDirs;
let agent: AgentParts;
let db: Database.Database;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, authFailDelayMs: 50, now: () => now });
  dirs = writeAgentConfig(sim, (c) => {
    c.health = { every: EVERY_CYCLE, logsPerNodePerHour: 100_000, rpoOverrides: [{ vmids: [104], hours: 1 }] };
  });
  ({ agent, db } = await runAgentCycles(dirs, { cycles: 3, now: () => now, advance: (ms) => (now += ms) }));
}, 120_000);

afterAll(async () => {
  db?.close();
  await agent?.close();
  await sim?.stop();
});

const all = (q: string, ...p: unknown[]) => db.prepare(q).all(...p) as Row[];
const one = (q: string, ...p: unknown[]) => db.prepare(q).get(...p) as Row | undefined;

describe('health signals from the simulator into the database', () => {
  it('coverage: every signal read ok with a full token', () => {
    const bad = all("select signal, node, state, message from v_health_coverage where state <> 'ok' and signal <> 'ceph_pools'");
    expect(bad).toEqual([]);
    const signals = new Set(all('select distinct signal from v_health_coverage').map((r) => r.signal));
    for (const s of ['backup_jobs', 'backup_not_in_job', 'backup_tasks', 'backup_logs', 'disks', 'zfs', 'zfs_detail', 'lvm_thin', 'ha', 'ceph', 'ceph_pools', 'replication', 'certificates', 'apt_versions']) expect(signals, s).toContain(s);
  });

  it('backups: failed (overdue), never backed up, in no job, excluded disk, RPO from the schedule and the override', () => {
    const byVmid = new Map(all('select * from v_backup_guest').map((r) => [r.vmid, r]));
    expect(byVmid.get(102)).toMatchObject({ status: 'overdue', in_job: 1, rpo_s: 26 * 3600, last_fail_error: expect.stringContaining('Permission denied') });
    expect(Number(byVmid.get(102)!.age_s)).toBeGreaterThan(26 * 3600);
    expect(byVmid.get(106)).toMatchObject({ status: 'never', last_ok_end: null });
    expect(byVmid.get(107)).toMatchObject({ status: 'no_job', in_job: 0 });
    expect(byVmid.get(101)).toMatchObject({ status: 'ok', last_ok_storage: 'nas', last_ok_upid: expect.stringMatching(/^UPID:pve\d:.*:vzdump::root@pam:$/) });
    expect(Number(byVmid.get(101)!.last_ok_size_bytes)).toBeGreaterThan(0);
    expect(Number(byVmid.get(101)!.last_ok_duration_s)).toBeGreaterThan(0);
    expect(byVmid.get(104)).toMatchObject({ rpo_s: 3600, status: 'overdue' });
    expect(byVmid.has(100)).toBe(false); // the template
    expect(all('select vmid from v_backup_not_in_job').map((r) => r.vmid)).toEqual([107]);
    expect(all('select vmid, reason from v_backup_excluded_volumes')).toEqual([{ vmid: 108, reason: 'backup=no' }]);
    expect(one('select schedule, rpo_s, selection, guests from v_backup_jobs')).toMatchObject({ schedule: '21:00', rpo_s: 26 * 3600, selection: 'all' });
    // history: one run per guest per night, each job log read once
    expect(one('select count(*) n from backup_tasks where log_read_at is null and endtime is not null')).toEqual({ n: 0 });
    expect(Number(one('select count(*) n from v_backup_runs where vmid = 106 and ok = 0')!.n)).toBe(3);
  });

  it('disks, pools, HA, Ceph, replication, certificates, node software', () => {
    expect(all('select node, devpath, health, wearout from v_disk_latest where failing = 1 order by node')).toEqual([
      { node: 'pve1', devpath: '/dev/nvme0n1', health: 'PASSED', wearout: 95 },
      { node: 'pve2', devpath: '/dev/sdb', health: 'FAILED', wearout: null },
    ]);
    expect(one("select health, cksum_errors, total_errors, scrub_age_s from v_zfs_pool_latest where node = 'pve2'")).toMatchObject({ health: 'DEGRADED', cksum_errors: 14, total_errors: 14 });
    expect(Number(one("select scrub_age_s from v_zfs_pool_latest where node = 'pve2'")!.scrub_age_s)).toBeGreaterThan(39 * 86_400);
    expect(Number(one("select metadata_fraction from v_lvm_thin_latest where node = 'pve1'")!.metadata_fraction)).toBeCloseTo(0.9, 2);
    expect(Number(one('select count(*) n from v_lvm_thin_series')!.n)).toBeGreaterThanOrEqual(3);
    expect(one("select state, failing from v_ha_service_latest where vmid = 108")).toEqual({ state: 'error', failing: 1 });
    expect(one('select master_node, quorate, services_failed from v_ha_latest')).toEqual({ master_node: 'pve1', quorate: 1, services_failed: 1 });
    const ceph = one('select health, checks, osds, osds_up, osds_in from v_ceph_latest')!;
    expect(ceph).toMatchObject({ health: 'HEALTH_WARN', osds: 6, osds_up: 5, osds_in: 6 });
    expect(JSON.parse(String(ceph.checks))).toHaveProperty('OSD_DOWN.message', '1 osds down');
    expect(all('select pool from v_ceph_pool_latest order by pool').map((r) => r.pool)).toEqual(['.mgr', 'ceph-vm']);
    const failing = all('select job_id, fail_count, error from v_replication_latest where failing = 1');
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({ fail_count: 3, error: expect.stringContaining('exit code 255') });
    const cert = one("select node, expires_in_s from v_certificate_latest where filename = 'pveproxy-ssl.pem'")!;
    expect(Number(cert.expires_in_s) / 86_400).toBeGreaterThan(9);
    expect(Number(cert.expires_in_s) / 86_400).toBeLessThan(10);
    expect(all('select node from v_node_software where reboot_required = 1')).toEqual([{ node: 'pve3' }]);
    expect(one("select version_skew from v_node_software where node = 'pve1'")).toEqual({ version_skew: 1 });
  });

  it('history rows only where the state changes', () => {
    // three cycles read every signal three times: one change row per disk, pool, service, job, node
    expect(Number(one("select count(*) n from v_disk_changes where node = 'pve2' and devpath = '/dev/sdb'")!.n)).toBe(1);
    expect(Number(one("select count(*) n from v_ha_service_changes where sid like '%:108'")!.n)).toBe(1);
    expect(Number(one('select count(*) n from v_ceph_health_changes')!.n)).toBe(1);
    expect(Number(one("select count(*) n from v_zfs_pool_changes where node = 'pve2'")!.n)).toBe(1);
  });
});

const QUERIES = join(import.meta.dirname, '../../db/queries/health');

describe('db/queries/health through the sqlite3 CLI', () => {
  const files = readdirSync(QUERIES).filter((f) => f.endsWith('.sql') && f !== 'health-coverage-gaps.sql').sort();
  it.each(files)('%s starts with its question and returns rows', (f) => {
    expect(readFileSync(join(QUERIES, f), 'utf8')).toMatch(/^-- \S.*\?\n/);
    expect(runSqlFile(dirs.database, join(QUERIES, f)).length, f).toBeGreaterThan(0);
  });
  it('answers with the simulator\'s states', () => {
    const rpo = runSqlFile(dirs.database, join(QUERIES, 'backups-not-within-rpo.sql'));
    expect(rpo[0]).toMatchObject({ vmid: 106, status: 'never' });
    expect(rpo.map((r) => r.vmid)).toEqual(expect.arrayContaining([102, 104, 107]));
    expect(runSqlFile(dirs.database, join(QUERIES, 'disks-at-risk.sql')).map((r) => r.health)).toEqual(['FAILED', 'PASSED']);
    expect(runSqlFile(dirs.database, join(QUERIES, 'certificates-expiring-30d.sql')).map((r) => r.filename)).toEqual(['pveproxy-ssl.pem']);
    expect(runSqlFile(dirs.database, join(QUERIES, 'thin-pools-metadata.sql'))[0]).toMatchObject({ node: 'pve1', metadata_pct: 90 });
    expect(runSqlFile(dirs.database, join(QUERIES, 'ha-ceph-replication-problems.sql')).map((r) => r.what).sort()).toEqual(['ceph', 'ha service', 'replication']);
    expect(runSqlFile(dirs.database, join(QUERIES, 'health-coverage-gaps.sql'))).toEqual([]);
  });
});

describe('health on the pages and in status.json', () => {
  const site = (f: string) => readFileSync(join(dirs.site, 'current', f), 'utf8');

  it('the Backups page lists every guest worst first and the guests in no job', () => {
    const html = site('backups.html');
    const order = [...html.matchAll(/<tr class="bk-(\w+)">/g)].map((m) => m[1]);
    expect(order[0]).toBe('never');
    expect(order.indexOf('overdue')).toBeLessThan(order.indexOf('no_job'));
    expect(order.indexOf('no_job')).toBeLessThan(order.indexOf('ok'));
    expect(order.filter((x) => x === 'ok').length).toBeGreaterThan(5);
    const noJob = /<ul id="no-job">(.*?)<\/ul>/s.exec(html)![1]!;
    expect(noJob).toContain('107 ');
    expect(noJob).not.toContain('102 ');
    expect(html).toContain('older than RPO');
    expect(html).toContain('Permission denied');
    expect(html).toContain('<code>21:00</code>');
    expect(html).toMatch(/<code class="upid">UPID:pve\d:[0-9A-F]{8}:/);
    // the nav links the page from everywhere
    expect(site('index.html')).toContain('href="backups.html"');
  });

  it('the cluster page has a Health section with every signal', () => {
    const html = site('clusters/cluster1.html');
    const health = html.slice(html.indexOf('<section aria-labelledby="health-h"'));
    for (const s of ['FAILED', '95 % used', 'DEGRADED', 'checksum 14', 'pve/data', 'HEALTH_WARN', 'OSD_DOWN', 'exit code 255', 'pveproxy-ssl.pem', 'required']) expect(health, s).toContain(s);
    expect(health).toMatch(/<td class="bad">error<\/td>/);
    expect(health).toMatch(/<td class="bad">90 %<\/td>/);
  });

  it('node pages show their own disks and pools only', () => {
    const pve2 = site('nodes/cluster1/pve2.html');
    expect(pve2).toContain('FAILED');
    expect(pve2).toContain('DEGRADED');
    const pve1 = site('nodes/cluster1/pve1.html');
    expect(pve1).not.toContain('FAILED');
    expect(pve1).toContain('95 % used');
  });

  it('status.json carries the health part', () => {
    const st = JSON.parse(site('status.json')) as { health: Record<string, unknown> & { backups: { counts: Record<string, number>; fields: string[]; guests: unknown[][] }; disks: Array<Record<string, unknown>>; coverage: Array<Record<string, unknown>>; ceph: Array<Record<string, unknown>>; node_software: Array<Record<string, unknown>> } };
    expect(st.health.backups.counts).toMatchObject({ never: 1, no_job: 1 });
    const status = st.health.backups.fields.indexOf('status');
    expect(st.health.backups.guests.find((g) => g[1] === 102)![status]).toBe('overdue');
    expect(st.health.disks.filter((d) => d.failing)).toHaveLength(2);
    expect(st.health.ceph[0]).toMatchObject({ health: 'HEALTH_WARN', osds_up: 5 });
    expect(st.health.node_software.filter((n) => n.reboot_required)).toEqual([expect.objectContaining({ node: 'pve3' })]);
    expect(st.health.coverage.every((c) => c.state === 'ok')).toBe(true);
  });

  it('the agent page has the coverage section', () => {
    const html = site('agent.html');
    expect(html).toContain('Coverage: what the token may read');
    expect(html).toContain('disks: SMART health and wearout');
    expect(html).not.toContain('missing privilege');
  });
});

// Last: these change the simulated world for good.
describe('faults on the new endpoints and a fenced node', () => {
  it('a 500 and a hang degrade their signal alone; the rows already stored stay', async () => {
    sim.faults.set({ cluster: 'cluster1', path: '/nodes/{node}/disks/list' }, { kind: 'error500', message: 'smartctl failed' });
    sim.faults.set({ cluster: 'cluster1', path: '/cluster/ha/status/current' }, { kind: 'hang' });
    try {
      await agent.runCycle();
      now += 5000;
    } finally {
      sim.faults.clear();
    }
    const bad = all("select signal, node, state from v_health_coverage where state <> 'ok' order by signal, node");
    expect(bad).toEqual([
      { signal: 'disks', node: 'pve1', state: 'error' },
      { signal: 'disks', node: 'pve2', state: 'error' },
      { signal: 'disks', node: 'pve3', state: 'error' },
      { signal: 'ha', node: null, state: 'error' },
    ]);
    expect(Number(one('select count(*) n from v_disk_latest')!.n)).toBe(9);
    expect(one('select last_ok is not null as kept from v_health_coverage where signal = \'ha\'')).toEqual({ kept: 1 });
  }, 60_000);

  it('a node offline for over 60 s: its HA services in fence, the node fenced', async () => {
    const haNode = sim.world.guest('cluster1', 101)!.node;
    sim.faults.set({ cluster: 'cluster1', node: haNode }, { kind: 'offline' });
    now += 70_000;
    await agent.runCycle();
    expect(one('select fenced, lrm_state, node_state from v_ha_node_latest where node = ?', haNode)).toEqual({ fenced: 1, lrm_state: 'dead', node_state: 'fence' });
    expect(one("select to_state from v_ha_service_changes where sid = 'vm:101' order by ts desc limit 1")).toEqual({ to_state: 'fence' });
    expect(Number(one('select nodes_fenced from v_ha_latest')!.nodes_fenced)).toBe(1);
  }, 60_000);
});

