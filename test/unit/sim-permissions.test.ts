// Token privileges: 403 status lines and ACL-filtered lists as pve-api.md §1.1/§1.3 describe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { simRequest, tokenHeader } from '../../scripts/pve-sim/sim-client.ts';

type Row = Record<string, unknown>;

describe('simulated token privileges', () => {
  let sim: SimHandle;
  let call: (method: string, p: string) => ReturnType<typeof simRequest>;
  beforeAll(async () => {
    sim = await startSimulator({
      authFailDelayMs: 1,
      privileges: { '/nodes': ['Sys.Audit'], '/vms/101': ['VM.Audit'], '/vms/102': ['VM.Audit', 'VM.PowerMgmt'], '/storage/local': ['Datastore.Audit'] },
    });
    const auth = tokenHeader(sim.tokenId, sim.tokenSecret);
    call = (method, p) => simRequest(sim.clusters[0]!.endpoints[0]!.url, p, { auth, method });
  });
  afterAll(() => sim.stop());

  it('publishes the ACL at /access/permissions', async () => {
    const r = await call('GET', '/access/permissions');
    expect((r.json as { data: unknown }).data).toEqual({ '/nodes': { 'Sys.Audit': 1 }, '/vms/101': { 'VM.Audit': 1 }, '/vms/102': { 'VM.Audit': 1, 'VM.PowerMgmt': 1 }, '/storage/local': { 'Datastore.Audit': 1 } });
  });

  it('answers a missing privilege with "403 Permission check failed (<path>, <priv>)"', async () => {
    const g = sim.world.guest('cluster1', 101)!;
    const r = await call('POST', `/nodes/${g.node}/qemu/101/status/stop`);
    expect([r.status, r.reason]).toEqual([403, 'Permission check failed (/vms/101, VM.PowerMgmt)']);
    expect(r.json).toEqual({ data: null, message: 'Permission check failed (/vms/101, VM.PowerMgmt)\n' });
    const st = await call('GET', '/cluster/status');
    expect([st.status, st.reason]).toEqual([403, 'Permission check failed (/, Sys.Audit)']);
    const ok = await call('POST', `/nodes/${sim.world.guest('cluster1', 102)!.node}/lxc/102/status/suspend`);
    expect(ok.status).toBe(200);
  });

  it('filters guests and storages the token may not audit out of the lists', async () => {
    const res = ((await call('GET', '/cluster/resources')).json as { data: Row[] }).data;
    expect(res.filter((r) => r.type === 'qemu' || r.type === 'lxc').map((r) => r.vmid).sort()).toEqual([101, 102]);
    expect(new Set(res.filter((r) => r.type === 'storage').map((r) => r.storage))).toEqual(new Set(['local']));
    expect(res.find((r) => r.type === 'node')).toHaveProperty('uptime');
    expect(res.some((r) => r.type === 'pool')).toBe(false);
  });
});
