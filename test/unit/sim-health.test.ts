// The simulator's health endpoints (issue #15): shapes per PVE 7/8/9, the README's test states,
// 403 for a missing privilege, and the 500/hang fault switches on the new paths.
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type SimHandle } from '../../scripts/pve-sim/index.ts';
import { simRequest, tokenHeader } from '../../scripts/pve-sim/sim-client.ts';

type Row = Record<string, unknown>;
const T0 = Date.UTC(2026, 11, 7, 9, 30, 0);
const running: SimHandle[] = [];

async function sim(opts: Parameters<typeof startSimulator>[0] = {}) {
  const s = await startSimulator({ authFailDelayMs: 50, now: () => T0, ...opts });
  running.push(s);
  const auth = tokenHeader(s.tokenId, s.tokenSecret);
  const url = s.clusters[0]!.endpoints[0]!.url;
  const get = async (path: string) => {
    const r = await simRequest(url, path, { auth });
    return { status: r.status, reason: r.reason, data: (r.json as { data: unknown } | undefined)?.data };
  };
  return { s, get, auth, url };
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

describe('simulated health endpoints', () => {
  it.each([7, 8, 9] as const)('PVE %i: every endpoint answers with the documented shape and the test states', async (pve) => {
    const { get } = await sim({ pveVersion: pve });
    const jobs = (await get('/cluster/backup')).data as Row[];
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ type: 'vzdump', schedule: '21:00', all: 1, exclude: '107' });
    expect(jobs[0]!.id).toMatch(/^backup-[0-9a-f]{8}-[0-9a-f]{4}$/);
    if (pve === 7) expect(jobs[0]).not.toHaveProperty('enabled');
    else expect(jobs[0]).toMatchObject({ enabled: 1 });

    const inc = (await get(`/cluster/backup/${String(jobs[0]!.id)}/included_volumes`)).data as { children: Array<Row & { children: Row[] }> };
    const g108 = inc.children.find((c) => c.id === 108)!;
    expect(g108.children.find((v) => v.included === 0)).toMatchObject({ reason: 'backup=no' });

    expect((await get('/cluster/backup-info/not-backed-up')).data).toEqual([expect.objectContaining({ vmid: 107 })]);

    const disks = (await get('/nodes/pve1/disks/list')).data as Row[];
    expect(disks.find((d) => d.type === 'nvme')).toMatchObject({ wearout: 5, health: 'PASSED', gpt: 1, osdid: -1, 'osdid-list': null });
    expect(disks.find((d) => d.type === 'hdd')).toMatchObject({ wearout: 'N/A' });
    expect(((await get('/nodes/pve2/disks/list')).data as Row[]).find((d) => d.devpath === '/dev/sdb')).toMatchObject({ health: 'FAILED' });

    expect((await get('/nodes/pve2/disks/zfs')).data).toEqual([expect.objectContaining({ name: 'tank', health: 'DEGRADED', frag: expect.any(Number), alloc: expect.any(Number) })]);
    const detail = (await get('/nodes/pve2/disks/zfs/tank')).data as Row & { children: Array<{ children: Array<{ children: Row[] }> }> };
    expect(detail).toMatchObject({ name: 'tank', state: 'DEGRADED', errors: 'No known data errors' });
    expect(String(detail.scan)).toMatch(/^scrub repaired 0B in .* with 0 errors on \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/);
    expect(detail.children[0]!.children[0]!.children.map((l) => l.cksum)).toEqual([0, 14]);
    expect((await get('/nodes/pve9/disks/zfs')).status).toBe(500);

    const thin = ((await get('/nodes/pve1/disks/lvmthin')).data as Row[])[0]!;
    expect(thin).toMatchObject({ vg: 'pve', lv: 'data', lv_type: 't' });
    expect(Number(thin.metadata_used) / Number(thin.metadata_size)).toBeCloseTo(0.9, 2);

    const ha = (await get('/cluster/ha/status/current')).data as Row[];
    expect(ha[0]).toMatchObject({ id: 'quorum', type: 'quorum', quorate: 1, status: 'OK' });
    expect(ha.find((e) => e.type === 'master')).toMatchObject({ status: expect.stringMatching(/^pve1 \(active, /) });
    expect(ha.find((e) => e.id === 'service:vm:108')).toMatchObject({ state: 'error', crm_state: 'error', request_state: 'started' });
    if (pve === 9) expect(ha.find((e) => e.type === 'service')).toHaveProperty('failback', 1);
    else expect(ha.find((e) => e.type === 'service')).not.toHaveProperty('failback');

    const ceph = (await get('/cluster/ceph/status')).data as { health: { status: string; checks: Record<string, { severity: string; summary: { message: string } }> }; osdmap: Row };
    expect(ceph.health.status).toBe('HEALTH_WARN');
    expect(ceph.health.checks.OSD_DOWN!.summary.message).toBe('1 osds down');
    expect(ceph.osdmap).toMatchObject({ num_osds: 6, num_up_osds: 5, num_in_osds: 6 });
    expect(((await get('/nodes/pve1/ceph/pool')).data as Row[]).map((p) => p.pool_name)).toEqual(['.mgr', 'ceph-vm']);

    const repl = [...((await get('/nodes/pve1/replication')).data as Row[]), ...((await get('/nodes/pve2/replication')).data as Row[]), ...((await get('/nodes/pve3/replication')).data as Row[])];
    expect(repl.find((r) => Number(r.fail_count) > 0)).toMatchObject({ fail_count: 3, error: expect.stringContaining('failed: exit code 255') });

    const certs = (await get('/nodes/pve1/certificates/info')).data as Row[];
    expect(certs.map((c) => c.filename)).toEqual(['pve-root-ca.pem', 'pve-ssl.pem', 'pveproxy-ssl.pem']);
    expect((Number(certs[2]!.notafter) - T0 / 1000) / 86_400).toBeGreaterThan(9);
    expect((Number(certs[2]!.notafter) - T0 / 1000) / 86_400).toBeLessThan(10);

    const apt3 = (await get('/nodes/pve3/apt/versions')).data as Row[];
    expect(apt3[0]).toMatchObject({ Package: 'proxmox-ve', RunningKernel: expect.stringMatching(/-pve$/) });
    expect(apt3[1]).toMatchObject({ Package: 'pve-manager', ManagerVersion: expect.any(String) });
    const kernels = apt3.filter((p) => /^(?:pve|proxmox)-kernel-/.test(String(p.Package)));
    expect(kernels).toHaveLength(2); // pve3 runs the older of two installed kernels: reboot required
    expect(String(kernels[0]!.Package)).toMatch(pve === 7 ? /^pve-kernel-/ : /^proxmox-kernel-.*-signed$/);
  });

  it('job task logs: one vzdump task per node and night, the failed and the never-backed-up guest', async () => {
    const { get } = await sim();
    const tasks = (await get('/nodes/pve1/tasks?typefilter=vzdump&source=all&limit=0')).data as Row[];
    const jobTasks = tasks.filter((t) => t.id === '');
    expect(jobTasks).toHaveLength(3);
    const last = jobTasks[0]!;
    const log = ((await get(`/nodes/pve1/tasks/${encodeURIComponent(String(last.upid))}/log?limit=0`)).data as Array<{ t: string }>).map((l) => l.t);
    expect(log.some((l) => /^INFO: Finished Backup of VM \d+ \(\d\d:\d\d:\d\d\)$/.test(l))).toBe(true);
    expect(log.some((l) => l.startsWith('INFO: archive file size: '))).toBe(true);
    const all = [];
    for (const n of ['pve1', 'pve2', 'pve3']) {
      for (const t of ((await get(`/nodes/${n}/tasks?typefilter=vzdump&source=all&limit=0`)).data as Row[]).filter((x) => x.id === '')) {
        all.push(...((await get(`/nodes/${n}/tasks/${encodeURIComponent(String(t.upid))}/log?limit=0`)).data as Array<{ t: string }>).map((l) => l.t));
      }
    }
    expect(all.filter((l) => l.startsWith('ERROR: Backup of VM 106 failed'))).toHaveLength(3);
    expect(all.filter((l) => l.startsWith('ERROR: Backup of VM 102 failed'))).toHaveLength(1);
    expect(all.some((l) => l.includes('VM 107 '))).toBe(false);
  });

  it('a token without Sys.Audit gets 403 naming the path and privilege; replication drops unseen guests', async () => {
    const { get } = await sim({ privileges: { '/': ['VM.Audit', 'Datastore.Audit'] } });
    for (const p of ['/cluster/backup', '/cluster/backup-info/not-backed-up', '/cluster/ha/status/current', '/nodes/pve1/disks/zfs']) {
      const r = await get(p);
      expect(r.status, p).toBe(403);
      expect(r.reason, p).toBe('Permission check failed (/, Sys.Audit)');
    }
    expect((await get('/nodes/pve1/disks/list')).status).toBe(403);
    expect((await get('/nodes/pve1/apt/versions')).reason).toBe('Permission check failed (/nodes/pve1, Sys.Audit)');
    // Datastore.Audit is enough for LVM-thin and Ceph; certificates need no privilege at all
    expect((await get('/nodes/pve1/disks/lvmthin')).status).toBe(200);
    expect((await get('/cluster/ceph/status')).status).toBe(200);
    expect((await get('/nodes/pve1/certificates/info')).status).toBe(200);

    const noVm = await sim({ privileges: { '/': ['Sys.Audit'] } });
    expect((await noVm.get('/nodes/pve1/replication')).data).toEqual([]);
  });

  it('no Ceph on other clusters: 500 "pveceph configuration not initialized"; fault switches cover the new paths', async () => {
    const { s, auth } = await sim({ clusters: 2, guests: 40 });
    const c2 = s.clusters[1]!.endpoints[0]!.url;
    const r = await simRequest(c2, '/cluster/ceph/status', { auth });
    expect(r.status).toBe(500);
    expect(r.reason).toMatch(/pveceph configuration not initialized/);
    const c1 = s.clusters[0]!.endpoints[0]!.url;
    s.faults.set({ cluster: 'cluster1', path: '/nodes/{node}/disks/list' }, { kind: 'error500', message: 'command smartctl failed' });
    expect((await simRequest(c1, '/nodes/c1-pve1/disks/list', { auth })).status).toBe(500);
    expect((await simRequest(c1, '/nodes/c1-pve1/disks/zfs', { auth })).status).toBe(200);
    s.faults.clear();
    s.faults.set({ cluster: 'cluster1', path: '/cluster/ha/status/current' }, { kind: 'hang' });
    await expect(simRequest(c1, '/cluster/ha/status/current', { auth, timeoutMs: 300 })).rejects.toThrow('timeout');
    expect((await simRequest(c1, '/cluster/backup', { auth })).status).toBe(200);
  });
});
