// Proxmox Backup Server, optional (#15 item 1): the PBS simulator (HTTPS on loopback, PBS token
// auth, pinned certificate) → the real agent's PBS tier → pbs_groups / v_pbs_group and
// pbs_coverage / v_pbs_coverage → the Backups page, the agent page's coverage and status.json.
// States: a failed verification (vm/102), a group with no backup for days (ct/103), a datastore
// the token may not audit ("secret", named in the config: 403 with the exact grant line).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../scripts/pve-sim/index.ts';
import { startPbsSimulator, type PbsSimHandle } from '../../scripts/pve-sim/pbs-sim.ts';
import type { SimHandle } from '../../scripts/pve-sim/types.ts';
import type { AgentParts } from '../../agent/main.ts';
import { writeAgentConfig, type AgentDirs } from '../support/agent-fixture.ts';
import { runAgentCycles } from '../support/agent-cycles.ts';
import { healthEveryAll } from '../../agent/config/health-config.schema.ts';
import { runSqlFile } from '../support/sql-cli.ts';

type Row = Record<string, unknown>;
let sim: SimHandle;
let pbs: PbsSimHandle;
let now = Date.UTC(2026, 11, 7, 9, 30, 0);
let dirs: AgentDirs;
let agent: AgentParts;
let db: Database.Database;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, authFailDelayMs: 50, now: () => now });
  pbs = await startPbsSimulator({ now: () => now });
  dirs = writeAgentConfig(sim, (c) => {
    c.clusters = c.clusters.slice(0, 1);
    c.health = { every: healthEveryAll(5) };
    c.pbs = [{ name: 'pbs1', endpoints: [pbs.url], tokenId: pbs.tokenId, tokenSecretFile: 'pbs-token', tls: { fingerprint: pbs.fingerprint }, datastores: ['secret'] }];
  });
  writeFileSync(join(dirs.dir, 'pbs-token'), `${pbs.tokenSecret}\n`, { mode: 0o600 });
  ({ agent, db } = await runAgentCycles(dirs, { cycles: 2, now: () => now, advance: (ms) => (now += ms) }));
}, 120_000);

afterAll(async () => {
  db?.close();
  await agent?.close();
  await pbs?.stop();
  await sim?.stop();
});

const all = (q: string) => db.prepare(q).all() as Row[];

describe('PBS datastores from the simulator into the database', () => {
  it('every group with its last backup, size and the verification of its newest snapshot', () => {
    const g = new Map(all('select * from v_pbs_group').map((r) => [`${String(r.backup_type)}/${String(r.backup_id)}`, r]));
    expect([...g.keys()].sort()).toEqual(['ct/103', 'vm/101', 'vm/102', 'vm/104']);
    expect(g.get('vm/101')).toMatchObject({ server: 'pbs1', store: 'main', verify_state: 'ok', backup_count: 3, last_size_bytes: 2_000_002_000 });
    expect(g.get('vm/102')).toMatchObject({ verify_state: 'failed' });
    expect(g.get('vm/104')).toMatchObject({ verify_state: null, backup_count: 1 });
    expect(Number(g.get('ct/103')!.age_s)).toBeGreaterThan(5 * 86_400);
    expect(Number(g.get('vm/101')!.age_s)).toBeLessThan(86_400);
  });

  it('a datastore without DatastoreAudit degrades alone, with the grant line', () => {
    expect(all('select store, state, grant_command from v_pbs_coverage order by store')).toEqual([
      { store: 'main', state: 'ok', grant_command: null },
      { store: 'secret', state: 'forbidden', grant_command: `proxmox-backup-manager acl update /datastore/secret DatastoreAudit --auth-id '${pbs.tokenId}'` },
    ]);
    expect(pbs.requests['/admin/datastore/secret/groups']).toBeGreaterThan(0);
  });

  it('the documented example query answers with the real sqlite3', () => {
    const r = runSqlFile(dirs.database, join(import.meta.dirname, '../../db/queries/pbs/pbs-groups-attention.sql'));
    expect(r.map((x) => `${String(x.backup_type)}/${String(x.backup_id)}`).sort()).toEqual(['ct/103', 'vm/102', 'vm/104']);
  });
});

describe('PBS on the pages and in status.json', () => {
  const site = (f: string) => readFileSync(join(dirs.site, 'current', f), 'utf8');

  it('the Backups page has the PBS section, worst first, and the grant line', () => {
    const html = site('backups.html');
    const pbsPart = html.slice(html.indexOf('<section aria-labelledby="pbs-h"'));
    expect(pbsPart).toContain('Proxmox Backup Server');
    const order = [...pbsPart.matchAll(/<td>(vm|ct)\/(\d+)<\/td>/g)].map((m) => `${m[1]}/${m[2]}`);
    expect(order[0]).toBe('vm/102');
    expect(order[1]).toBe('ct/103');
    expect(pbsPart).toContain('<td class="bad">failed</td>');
    expect(pbsPart).toContain('proxmox-backup-manager acl update /datastore/secret DatastoreAudit --auth-id');
  });

  it('the agent page names the missing grant; status.json carries health.pbs', () => {
    expect(site('agent.html')).toContain(`proxmox-backup-manager acl update /datastore/secret DatastoreAudit --auth-id &#39;${pbs.tokenId}&#39;`);
    const st = JSON.parse(site('status.json')) as { health: { pbs: { groups: Row[]; coverage: Row[] } } };
    expect(st.health.pbs.groups.find((g) => g.id === '102')).toMatchObject({ store: 'main', verify_state: 'failed' });
    expect(st.health.pbs.coverage.find((c) => c.store === 'secret')).toMatchObject({ state: 'forbidden' });
  });
});
