// The twelve health rules of the default pack end to end: the simulator's health test states
// (cluster1) → the real agent over HTTPS with the health tiers read every three cycles (as
// scripts/demo.ts does) → SQLite → alert_instances. Each rule fires; then the simulator's state
// switches (repairHealth) and fault clearing make a representative set resolve. The clock is
// injected: 5-minute cycles, so the longest `for` (1 h) takes 13 cycles, not an hour.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { backupInProgress, repairHealth, startSimulator, type HealthTestState } from '../../scripts/pve-sim/index.ts';
import { startProcess, stopProcess } from '../../scripts/pve-sim/guest-state.ts';
import type { SimHandle } from '../../scripts/pve-sim/types.ts';
import { openAgent, type AgentParts } from '../../agent/main.ts';
import { logSink, writeAgentConfig, type AgentDirs, type LogSink } from '../support/agent-fixture.ts';
import { healthEveryAll } from '../../agent/config/health-config.schema.ts';

const INTERVAL = 300;
const EVERY_THIRD_CYCLE = healthEveryAll(INTERVAL * 3);

interface Instance { rule: string; state: string; labels: Record<string, string | number>; muted: string | null }

let sim: SimHandle;
let clock = Date.UTC(2026, 11, 7, 9, 30); // 102's last good backup is older than its 26 h RPO from about 03:00 on
let dirs: AgentDirs;
let agent: AgentParts;
let sink: LogSink;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, authFailDelayMs: 50, now: () => clock });
  dirs = writeAgentConfig(sim, (c) => {
    c.pollIntervalSeconds = INTERVAL;
    c.health = { every: EVERY_THIRD_CYCLE, logsPerNodePerHour: 100_000 };
  });
  sink = logSink();
  agent = await openAgent(dirs.configPath, { logDestination: sink.stream, now: () => clock }, false);
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await sim?.stop();
});

async function cycles(n: number, stepMs = INTERVAL * 1000): Promise<void> {
  for (let i = 0; i < n; i++) {
    clock += stepMs;
    await agent.runCycle();
  }
}

function instances(): Instance[] {
  const db = new Database(dirs.database, { readonly: true });
  try {
    return (db.prepare('select rule, state, labels, muted from alert_instances order by rule, fingerprint').all() as Array<Omit<Instance, 'labels'> & { labels: string }>)
      .map((r) => ({ ...r, labels: JSON.parse(r.labels) as Record<string, string | number> }));
  } finally {
    db.close();
  }
}

function transitions(rule: string): Array<{ to_state: string; labels: string }> {
  const db = new Database(dirs.database, { readonly: true });
  try {
    return db.prepare('select to_state, labels from alert_transitions where rule = ? order by id').all(rule) as Array<{ to_state: string; labels: string }>;
  } finally {
    db.close();
  }
}

/** The labels (without cluster) of a rule's instances in a state, as short strings, sorted. */
function of(rule: string, state = 'firing'): string[] {
  return instances().filter((i) => i.rule === rule && i.state === state).map((i) => Object.entries(i.labels).filter(([k]) => k !== 'cluster').sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(' ')).sort();
}

const context = () => `instances:\n${instances().map((i) => `${i.rule} ${i.state} ${JSON.stringify(i.labels)}${i.muted ? ` [${i.muted}]` : ''}`).join('\n')}\nagent log (tail):\n${sink.text().slice(-3000)}`;

describe('health rules against the simulator', () => {
  it('every health test state fires its rule', async () => {
    // 70 min: past every `for` (guest-not-in-backup-job: 1 h), several reads of each tier. While
    // jobs, tasks and logs are read for the first time (spread over three cycles), backup-overdue
    // never holds a guest that has a good backup: no storm from a fresh agent.
    for (let i = 0; i < 14; i++) {
      await cycles(1);
      const held = instances().filter((x) => x.rule === 'backup-overdue').map((x) => String(x.labels.vmid));
      expect(held.filter((v) => v !== '102' && v !== '106'), `cycle ${i}\n${context()}`).toEqual([]);
    }
    const c = sim.clusters[0]!.name;
    expect(instances().filter((i) => i.state === 'firing').every((i) => i.labels.cluster === c), context()).toBe(true);
    const expected: Record<string, string[]> = {
      'backup-overdue': ['vmid=102', 'vmid=106'],
      'guest-not-in-backup-job': ['vmid=107'],
      'disk-failing': ['devpath=/dev/nvme0n1 node=pve1', 'devpath=/dev/sdb node=pve2'],
      'zfs-pool-unhealthy': ['node=pve2 pool=tank'],
      'thin-metadata-full': ['lv=data node=pve1 vg=pve'],
      'ha-service-error': [`sid=${sim.world.clusters[0]!.guests.get(108)!.type === 'qemu' ? 'vm' : 'ct'}:108`],
      'ceph-not-ok': [''],
      'certificate-expiring': ['filename=pveproxy-ssl.pem node=pve1'],
    };
    for (const [rule, labels] of Object.entries(expected)) expect(of(rule), `${rule}\n${context()}`).toEqual(labels);
    // one instance per failed vzdump run of the last 24 h: 102 (last night) and 106
    expect(of('backup-job-failed').map((s) => s.replace(/^upid=UPID:\S+:vzdump::root@pam: /, '')).sort(), context()).toEqual(['vmid=102', 'vmid=106']);
    const repl = of('replication-failing');
    expect(repl, context()).toHaveLength(1);
    expect(repl[0]).toMatch(/^job_id=\d+-0$/);
    // the summary carries what the view knows
    const db = new Database(dirs.database, { readonly: true });
    const summaries = db.prepare("select rule, summary from alert_instances where state = 'firing' and rule in ('zfs-pool-unhealthy', 'thin-metadata-full', 'certificate-expiring')").all();
    db.close();
    expect(summaries).toEqual(expect.arrayContaining([
      // fired on the pool list's health, before the detail read counted its errors
      { rule: 'zfs-pool-unhealthy', summary: expect.stringMatching(/^ZFS pool tank on pve2 of cluster1 is DEGRADED( with 14 read\/write\/checksum errors)?$/) },
      { rule: 'thin-metadata-full', summary: 'Thin pool pve/data on pve1 of cluster1: metadata 90 % full' },
      { rule: 'certificate-expiring', summary: expect.stringMatching(/^Certificate pveproxy-ssl\.pem of pve1 \(cluster1\) expires in 9\.\d days$/) },
    ]));
    // the reboot-required node has not needed it for 7 days yet
    expect(of('reboot-required'), context()).toEqual([]);
  }, 240_000);

  it('a node fenced by HA fires ha-node-fenced; it resolves once HA recovered the services and the node is back', async () => {
    const c = sim.world.clusters[0]!;
    const ha = [...c.guests.values()].find((g) => g.hastate === 'started')!;
    const node = ha.node;
    sim.faults.set({ cluster: c.name, node }, { kind: 'offline' });
    // HA shows the node's services in `fence` from 60 s to 120 s after it went down: 20-second
    // cycles, so one of the three inside that window reads HA (every third cycle)
    await cycles(7, 20_000);
    expect(transitions('ha-node-fenced').map((t) => [t.to_state, JSON.parse(t.labels).node]), context()).toContainEqual(['firing', node]);
    sim.faults.clear({ cluster: c.name, node });
    await cycles(4);
    expect(of('ha-node-fenced'), context()).toEqual([]);
    expect(of('ha-node-fenced', 'resolved'), context()).toEqual([`node=${node}`]);
  }, 240_000);

  it('repaired states resolve', async () => {
    const c = sim.world.clusters[0]!;
    const nowSec = () => Math.floor(clock / 1000);
    const repaired: Array<[HealthTestState, string]> = [
      ['smartFailed', 'disk-failing'], ['zfsDegraded', 'zfs-pool-unhealthy'], ['thinMetadata', 'thin-metadata-full'], ['haError', 'ha-service-error'],
      ['ceph', 'ceph-not-ok'], ['replication', 'replication-failing'], ['certificate', 'certificate-expiring'], ['noJob', 'guest-not-in-backup-job'],
    ];
    for (const [state] of repaired) repairHealth(c, state, nowSec());
    await cycles(4); // every tier read again at least once
    for (const [, rule] of repaired) {
      expect(of(rule).filter((s) => rule !== 'disk-failing' || s.includes('pve2')), `${rule}\n${context()}`).toEqual([]);
      expect(of(rule, 'resolved').length, `${rule}\n${context()}`).toBeGreaterThan(0);
    }
    // the worn-out NVMe was not replaced: still firing
    expect(of('disk-failing'), context()).toEqual(['devpath=/dev/nvme0n1 node=pve1']);
  }, 240_000);

  it('reboot required for 7 days fires, and resolves after the reboot', async () => {
    const c = sim.world.clusters[0]!;
    const last = c.nodes[c.nodes.length - 1]!.name;
    await cycles(1, 7 * 86_400_000); // a week later
    await cycles(3);
    expect(of('reboot-required'), context()).toEqual([`node=${last}`]);
    repairHealth(c, 'reboot', Math.floor(clock / 1000));
    await cycles(4);
    expect(of('reboot-required'), context()).toEqual([]);
    expect(of('reboot-required', 'resolved'), context()).toEqual([`node=${last}`]);
  }, 240_000);

  it('a running backup in stop mode mutes "guest stopped" (the job\'s mode read by the health tier); in snapshot mode a guest that stops pages', async () => {
    const c = sim.world.clusters[0]!;
    const g = [...c.guests.values()].find((x) => x.status === 'running' && !x.template && x.hastate === undefined && !x.lock && x.vmid !== 107)!;
    const stopped = (state = 'firing') => instances().filter((i) => i.rule === 'guest-stopped-unexpectedly' && String(i.labels.vmid) === String(g.vmid) && i.state === state);
    const now = () => Math.floor(clock / 1000);
    // the job is configured in stop mode; the next read of the jobs tells the agent
    c.health!.backupJobs[0]!.mode = 'stop';
    await cycles(4);
    backupInProgress(c, g.vmid, 'stop', now());
    await cycles(1);
    expect(stopped().map((i) => i.muted), context()).toEqual(['the guest is locked for backup (backup in stop mode)']);
    backupInProgress(c, g.vmid, 'stop', now(), true);
    await cycles(1);
    expect(stopped(), context()).toEqual([]);
    expect(stopped('resolved'), context()).toHaveLength(1);

    // snapshot mode: the guest keeps running during the backup, so stopping then is a real event
    c.health!.backupJobs[0]!.mode = 'snapshot';
    await cycles(4);
    backupInProgress(c, g.vmid, 'snapshot', now());
    stopProcess(g, now()); // it crashes while being backed up
    await cycles(1);
    expect(stopped().map((i) => i.muted), context()).toEqual([null]);
    backupInProgress(c, g.vmid, 'snapshot', now(), true);
    startProcess(g, now(), c.nodes.find((n) => n.name === g.node)!);
    await cycles(1);
    expect(stopped(), context()).toEqual([]);
  }, 240_000);
});
