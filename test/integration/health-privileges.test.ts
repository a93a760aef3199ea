// Read-only rights (issue #15 item 3): a token whose Sys.Audit is on "/" without propagation and on
// one node only. The fast loop and every cluster-wide signal still work; the node-scoped signals
// of the other nodes (package versions, vzdump logs) degrade alone, visibly: in v_health_coverage
// with the exact pveum line, on the agent page, in status.json and in check-config.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../agent/cli.ts';
import type { AgentParts } from '../../agent/main.ts';
import { startSimulator } from '../../scripts/pve-sim/index.ts';
import type { SimHandle } from '../../scripts/pve-sim/types.ts';
import { writeAgentConfig, type AgentDirs } from '../support/agent-fixture.ts';
import { runAgentCycles } from '../support/agent-cycles.ts';
import { runSqlFile } from '../support/sql-cli.ts';
import { healthEveryAll } from '../../agent/config/health-config.schema.ts';

type Row = Record<string, unknown>;
const EVERY_CYCLE = healthEveryAll(5);
const PRIVS = { '/!': ['Sys.Audit'], '/': ['VM.Audit', 'Datastore.Audit', 'Pool.Audit'], '/nodes/pve1': ['Sys.Audit'] };

let sim: SimHandle;
let now = Date.UTC(2026, 11, 7, 9, 30, 0);
let dirs: AgentDirs;
let agent: AgentParts;
let db: Database.Database;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, authFailDelayMs: 50, now: () => now, privileges: PRIVS });
  dirs = writeAgentConfig(sim, (c) => {
    c.health = { every: EVERY_CYCLE, logsPerNodePerHour: 100_000 };
  });
  ({ agent, db } = await runAgentCycles(dirs, { cycles: 3, now: () => now, advance: (ms) => (now += ms) }));
}, 120_000);

afterAll(async () => {
  db?.close();
  await agent?.close();
  await sim?.stop();
});

describe('a token without Sys.Audit below "/" except on pve1', () => {
  it('degrades only the node-scoped signals of pve2 and pve3, each with its privilege and pveum line', () => {
    const bad = db.prepare("select signal, node, state, privilege, acl_path, grant_command from v_health_coverage where state <> 'ok' order by signal, node").all() as Row[];
    expect(bad.map((r) => `${String(r.signal)}@${String(r.node)}`)).toEqual(['apt_versions@pve2', 'apt_versions@pve3', 'backup_logs@pve2', 'backup_logs@pve3']);
    for (const r of bad) {
      expect(r).toMatchObject({ state: 'forbidden', privilege: 'Sys.Audit', acl_path: `/nodes/${String(r.node)}` });
      expect(r.grant_command).toBe(`pveum acl modify /nodes/${String(r.node)} --tokens '${sim.tokenId}' --roles PVEAuditor`);
    }
    // everything else still arrives
    const ok = new Set((db.prepare("select distinct signal from v_health_coverage where state = 'ok'").all() as Row[]).map((r) => r.signal));
    for (const s of ['backup_jobs', 'backup_not_in_job', 'disks', 'zfs', 'lvm_thin', 'ha', 'ceph', 'replication', 'certificates', 'apt_versions', 'backup_logs']) expect(ok, s).toContain(s);
    expect((db.prepare("select count(*) n from v_node_software where node = 'pve1'").get() as Row).n).toBe(1);
    expect((db.prepare("select count(*) n from v_node_software where node <> 'pve1'").get() as Row).n).toBe(0);
    expect((db.prepare('select count(*) n from v_disk_latest').get() as Row).n).toBe(9);
  });

  it('db/queries/health/health-coverage-gaps.sql lists them with the pveum line (sqlite3 CLI)', () => {
    const rows = runSqlFile(dirs.database, join(import.meta.dirname, '../../db/queries/health/health-coverage-gaps.sql'));
    expect(rows.map((r) => r.node)).toEqual(['pve2', 'pve3', 'pve2', 'pve3']);
    expect(rows[0]!.grant_command).toBe(`pveum acl modify /nodes/pve2 --tokens '${sim.tokenId}' --roles PVEAuditor`);
  });

  it('the agent page names the missing privilege and the exact pveum line; status.json too', () => {
    const html = readFileSync(join(dirs.site, 'current', 'agent.html'), 'utf8');
    expect(html).toContain('missing privilege');
    expect(html).toContain('Sys.Audit on /nodes/pve2, /nodes/pve3');
    expect(html).toContain(`pveum acl modify /nodes/pve2 --tokens &#39;${sim.tokenId}&#39; --roles PVEAuditor`);
    const st = JSON.parse(readFileSync(join(dirs.site, 'current', 'status.json'), 'utf8')) as { health: { coverage: Row[] } };
    expect(st.health.coverage.filter((c) => c.state === 'forbidden').map((c) => c.grant)).toContain(`pveum acl modify /nodes/pve3 --tokens '${sim.tokenId}' --roles PVEAuditor`);
    // the node page of pve2 says what it cannot show
    expect(readFileSync(join(dirs.site, 'current', 'nodes/cluster1/pve2.html'), 'utf8')).toContain('missing Sys.Audit on /nodes/pve2');
  });

  it('check-config reports the same, with the pveum line, as warnings next to the polling error', async () => {
    let out = '';
    const code = await runCli(['check-config', '--config', dirs.configPath], { stdout: (t) => (out += t), stderr: () => undefined, env: {} });
    expect(out).toContain(`WARN  health: missing Sys.Audit on /nodes/pve2: not read: backup results (vzdump tasks), backup details (vzdump task logs), kernel and package versions (reboot required); grant it with: pveum acl modify /nodes/pve2 --tokens '${sim.tokenId}' --roles PVEAuditor`);
    expect(out).not.toContain('health: missing Sys.Audit on /nodes/pve1');
    expect(out).not.toContain('health: missing Sys.Audit on /:');
    // the fast loop's node status needs Sys.Audit on /nodes too: that is the existing polling error
    expect(out).toContain('ERROR polling: missing Sys.Audit on /nodes');
    expect(code).toBe(1);
  });
});
