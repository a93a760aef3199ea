// The health tiers against the PVE 7 and 9 simulators (the main end-to-end test runs PVE 8): every
// signal reads ok and lands in its view, whatever the version's shapes (job `enabled` absent on
// PVE 7, `failback` on PVE 9, pve-kernel- vs proxmox-kernel- packages, Ceph releases).
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openAgent } from '../../agent/main.ts';
import { startSimulator } from '../../scripts/pve-sim/index.ts';
import { logSink, writeAgentConfig } from '../support/agent-fixture.ts';
import { healthEveryAll } from '../../agent/config/health-config.schema.ts';

const EVERY_CYCLE = healthEveryAll(5);

describe.each([7, 9] as const)('health tiers against PVE %i', (pve) => {
  it('reads every signal into its view', async () => {
    let now = Date.UTC(2026, 11, 7, 9, 30, 0);
    const sim = await startSimulator({ seed: 5, pveVersion: pve, authFailDelayMs: 50, now: () => now });
    const dirs = writeAgentConfig(sim, (c) => {
      c.health = { every: EVERY_CYCLE, logsPerNodePerHour: 100_000 };
    });
    const agent = await openAgent(dirs.configPath, { intervalSeconds: 5, logDestination: logSink().stream, now: () => now }, false);
    try {
      for (let i = 0; i < 2; i++) {
        await agent.runCycle();
        now += 5000;
      }
      const db = new Database(dirs.database, { readonly: true });
      try {
        const one = (q: string) => db.prepare(q).get() as Record<string, unknown>;
        expect(db.prepare("select signal, node, state, message from v_health_coverage where state <> 'ok'").all()).toEqual([]);
        expect(one('select rpo_s from v_backup_jobs')).toEqual({ rpo_s: 26 * 3600 });
        expect(one("select status from v_backup_guest where vmid = 102")).toEqual({ status: 'overdue' });
        expect(one('select count(*) n from v_disk_latest where failing = 1')).toEqual({ n: 2 });
        expect(one("select cksum_errors from v_zfs_pool_latest where health = 'DEGRADED'")).toEqual({ cksum_errors: 14 });
        expect(one('select services_failed from v_ha_latest')).toEqual({ services_failed: 1 });
        expect(one('select health, osds_up from v_ceph_latest')).toEqual({ health: 'HEALTH_WARN', osds_up: 5 });
        expect(one('select count(*) n from v_replication_latest where failing = 1')).toEqual({ n: 1 });
        expect(one('select count(*) n from v_certificate_latest where expires_in_s < 21 * 86400')).toEqual({ n: 1 });
        expect(one("select node, reboot_required from v_node_software where reboot_required = 1")).toEqual({ node: 'pve3', reboot_required: 1 });
      } finally {
        db.close();
      }
    } finally {
      await agent.close();
      await sim.stop();
      rmSync(dirs.dir, { recursive: true, force: true });
    }
  }, 120_000);
});
